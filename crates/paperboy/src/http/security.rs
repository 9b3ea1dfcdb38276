//! The security headers of every response: a Content-Security-Policy with scripts and styles
//! from the site only and no inline script, `nosniff`, a Referrer-Policy, no framing.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy of every response: scripts and styles only from this site, no
/// inline script, no framing. Style attributes are allowed because MathML sets spacing with
/// them (they cannot run code).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    style-src-attr 'unsafe-inline'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Middleware: the security headers every response carries.
pub async fn secure_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
