//! The security headers of every response: a Content-Security-Policy with scripts and styles
//! from the site only and no inline script, `nosniff`, a Referrer-Policy, no framing.

use axum::http::{HeaderMap, HeaderValue, header};

/// The Content-Security-Policy of every response: scripts and styles only from this site, no
/// inline script, no framing. Style attributes are allowed because MathML sets spacing with
/// them (they cannot run code).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    style-src-attr 'unsafe-inline'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers every response carries (by [`crate::http::observe::observe`]).
pub fn add_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}
