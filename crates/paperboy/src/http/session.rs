//! Who is asking: the visitor of a request ([`Viewer`]: their session from its cookie, their
//! address), CSRF tokens for forms, and the cookies themselves.
//!
//! A session is a random secret in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` when the
//! site is served over HTTPS), looked up by its hash. Every state-changing form carries a CSRF
//! token: the session's own when signed in; before that, the value of a separate `pb_csrf`
//! cookie (a double-submit token), so that nobody can log a visitor into an account of theirs
//! either. Requests a browser marks `Sec-Fetch-Site: cross-site` are refused outright.
//!
//! Pages are cached for everyone ([`crate::http::cache`]); what differs per visitor is the
//! account corner ([`crate::http::corner`]), put in after the fact, or the page is rendered for
//! them (the paper page of a signed-in reader).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, header};

use crate::db::users::{Session, User};
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::state::App;

pub const SESSION_COOKIE: &str = "pb_session";
pub const CSRF_COOKIE: &str = "pb_csrf";

/// How long a session lasts without signing in again.
pub const SESSION_DAYS: i64 = 30;

/// The visitor of one request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub session: Option<Session>,
    /// The `pb_csrf` cookie a signed-out visitor's forms must repeat.
    pub anonymous_csrf: Option<String>,
    /// The session cookie's secret, to sign out.
    pub cookie: Option<Secret>,
    pub address: IpAddr,
}

impl Viewer {
    pub fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|session| &session.user)
    }

    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user().ok_or_else(|| AppError::Unauthorized("sign in first".into()))
    }

    /// The token this visitor's forms carry, if it has one yet.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.session {
            Some(session) => Some(&session.csrf_token),
            None => self.anonymous_csrf.as_deref(),
        }
    }

    /// Checks the CSRF token a form sent: 403 when it is missing or not this visitor's.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), AppError> {
        let forged = || {
            AppError::Forbidden(
                "the form has expired or did not come from this site: reload the page and try again".into(),
            )
        };
        let (Some(expected), Some(presented)) = (self.csrf_token(), presented) else { return Err(forged()) };
        if same_secret(expected, presented) { Ok(()) } else { Err(forged()) }
    }
}

impl FromRequestParts<App> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if parts.method != axum::http::Method::GET
            && parts.headers.get("sec-fetch-site").is_some_and(|site| site == "cross-site")
        {
            return Err(AppError::Forbidden("requests from other sites may not change anything here".into()));
        }
        let session_cookie = cookie(&parts.headers, SESSION_COOKIE).map(Secret::from_client);
        let session = match &session_cookie {
            Some(secret) => app.core.db.session(secret).await?,
            None => None,
        };
        if let (Some(secret), Some(session)) = (&session_cookie, &session) {
            app.web.members.remember(secret, session.user.id);
        }
        Ok(Viewer {
            session,
            anonymous_csrf: cookie(&parts.headers, CSRF_COOKIE).map(str::to_owned),
            cookie: session_cookie,
            address: address_of(&parts.headers, &parts.extensions, app.core.config.trust_forwarded_for),
        })
    }
}

/// The client's address: the peer's, or the last `X-Forwarded-For` entry when trusted.
pub fn client_address(request: &Request, trust_forwarded_for: bool) -> IpAddr {
    address_of(request.headers(), request.extensions(), trust_forwarded_for)
}

/// [`client_address`] from a request's parts.
pub fn address_of(headers: &HeaderMap, extensions: &Extensions, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for
        && let Some(forwarded) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(Ok(address)) = forwarded.rsplit(',').next().map(|last| last.trim().parse())
    {
        return address;
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

/// Who is asking adds nothing to the API's document.
impl aide::operation::OperationInput for Viewer {}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, for the whole site; Secure over HTTPS.
/// `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", max_age.as_secs());
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("pb_invalid=; Max-Age=0"))
}

/// A signed-out visitor's CSRF token: theirs if they have one, else a new one and the cookie
/// that carries it.
pub fn anonymous_csrf(viewer: &Viewer, secure: bool) -> (String, Option<HeaderValue>) {
    match viewer.csrf_token() {
        Some(token) => (token.to_owned(), None),
        None => {
            let token = Secret::generate("").expose().to_owned();
            let cookie =
                set_cookie(CSRF_COOKIE, &token, Duration::from_secs(SESSION_DAYS as u64 * 86_400), secure);
            (token, Some(cookie))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; pb_session=abc; pb_csrf="));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, CSRF_COOKIE), None);
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn session_cookies_are_http_only_lax_and_secure_over_https() {
        let value = set_cookie(SESSION_COOKIE, "x", Duration::from_secs(60), true);
        assert_eq!(value, "pb_session=x; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
        assert!(
            !set_cookie(SESSION_COOKIE, "x", Duration::from_secs(60), false)
                .to_str()
                .unwrap_or("")
                .contains("Secure")
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
