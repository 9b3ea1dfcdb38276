//! The test application: the real router over a database of its own (on either engine), with a
//! keyword index of what the database holds, the page cache following every change at once, and
//! mail written to a directory of its own; and the clients tests use against it: plain requests,
//! a browser that keeps cookies and sends forms with their CSRF tokens, and the API with tokens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use paperboy::app::{Core, SiteConfig};
use paperboy::db::Db;
use paperboy::db::users::User;
use paperboy::http::App;
use paperboy::http::state::WebState;
use paperboy::mail::Outbox;
use paperboy::progress::Progress;
use paperboy::quota::SiteLimits;
use paperboy::search::{Search, follow};
use paperboy_search::SearchIndex;
use serde_json::Value;
use tower::ServiceExt;

use super::mail::read_mails;

/// The address the test application believes it is served at.
pub const BASE_URL: &str = "http://paperboy.test";

/// The application under test.
pub struct TestApp {
    router: Router,
    pub db: Db,
    mail: tempfile::TempDir,
}

/// An answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

impl TestApp {
    /// The site over `db`, with no rate limit and the default quotas.
    pub async fn new(db: &Db) -> TestApp {
        TestApp::with(db, |_| {}).await
    }

    /// The site over `db`, with `change` made to its settings.
    pub async fn with(db: &Db, change: impl FnOnce(&mut SiteConfig)) -> TestApp {
        TestApp::with_search(db, Search::new(keyword_index(db).await), change)
    }

    /// The site over `db` and `search`, with `change` made to its settings.
    pub fn with_search(db: &Db, search: Search, change: impl FnOnce(&mut SiteConfig)) -> TestApp {
        let mail = tempfile::tempdir().unwrap();
        let mut config = SiteConfig {
            base_url: BASE_URL.into(),
            rate_limits: SiteLimits::off(),
            mail: Outbox::files(mail.path().to_owned()),
            ..SiteConfig::default()
        };
        change(&mut config);
        let mut web = WebState::default();
        web.version.freshness = Duration::ZERO;
        let app = App::from_parts(Core::new(db.clone(), Arc::new(search), config), web);
        TestApp { router: paperboy::server::router(app), db: db.clone(), mail }
    }

    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), 16 << 20).await.unwrap();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// `GET uri` with one request header.
    pub async fn get_with(&self, uri: &str, name: header::HeaderName, value: &str) -> Reply {
        self.request(Request::get(uri).header(name, value).body(Body::empty()).unwrap()).await
    }

    /// `method uri` with a bearer token and an optional JSON body.
    pub async fn api(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.request(request.body(body).unwrap()).await
    }

    /// Where the site's mail goes.
    pub fn mail_dir(&self) -> &std::path::Path {
        self.mail.path()
    }

    /// The messages sent so far, oldest first.
    pub fn mails(&self) -> Vec<String> {
        read_mails(self.mail.path())
    }

    /// The link of `purpose` in the latest message to `to`.
    pub fn link(&self, to: &str, purpose: &str) -> String {
        let mails = self.mails();
        let message = mails
            .iter()
            .rev()
            .find(|m| m.contains(&format!("To: {to}")))
            .unwrap_or_else(|| panic!("no mail to {to}"));
        let start = message
            .find(&format!("/links/{purpose}?token="))
            .unwrap_or_else(|| panic!("no {purpose} link:\n{message}"));
        let rest = &message[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest[..end].to_owned()
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser { app: self, cookies: HashMap::new() }
    }

    /// A confirmed account signed in through the site, as a browser with its session.
    pub async fn member(&self, name: &str) -> Browser<'_> {
        let mut browser = self.browser();
        let email = format!("{name}@example.org");
        let form = browser.form("/signup").await;
        let reply = browser
            .post(
                "/signup",
                &[("csrf", &form), ("name", name), ("email", &email), ("password", "correct horse")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let link = self.link(&email, "confirm");
        let path = link.trim_start_matches(BASE_URL);
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let token = path.split("token=").nth(1).unwrap().to_owned();
        let reply =
            browser.post("/links/confirm", &[("csrf", &csrf_in(&page.text)), ("token", &token)]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        browser
    }

    pub async fn user(&self, name: &str) -> User {
        self.db.user_by_name(name).await.unwrap().unwrap()
    }
}

/// A keyword index of what `db` holds.
pub async fn keyword_index(db: &Db) -> Arc<SearchIndex> {
    let index = Arc::new(SearchIndex::in_memory().unwrap());
    follow::catch_up(db, &index, index.writer(1).unwrap(), &Progress::records(false, "indexing"))
        .await
        .unwrap();
    index
}

/// The CSRF token in a page's first form.
pub fn csrf_in(html: &str) -> String {
    let start =
        html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no form token in:\n{html}")) + 19;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// A browser: keeps cookies between requests, sends forms.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: Body) -> Reply {
        let request = request.header(header::COOKIE, self.cookie_header()).body(body).unwrap();
        let reply = self.app.request(request).await;
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let (pair, _) = value.to_str().unwrap().split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        reply
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        self.send(Request::get(uri), Body::empty()).await
    }

    /// The CSRF token of the form on the page at `uri`.
    pub async fn form(&mut self, uri: &str) -> String {
        let page = self.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.text);
        csrf_in(&page.text)
    }

    pub async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_with(uri, fields, &[]).await
    }

    pub async fn post_with(&mut self, uri: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let body = fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request, Body::from(body)).await
    }

    /// The token of this browser's session, from any page with a form of it.
    pub async fn session_csrf(&mut self) -> String {
        self.form("/settings").await
    }

    pub fn has_session(&self) -> bool {
        self.cookies.contains_key("pb_session")
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A personal API token for the signed-in browser, made on the settings page.
pub async fn api_token(browser: &mut Browser<'_>) -> String {
    let csrf = browser.session_csrf().await;
    let page = browser.post("/settings/tokens", &[("csrf", &csrf), ("name", "script")]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let start = page.text.find("id=\"new-token\">").unwrap() + 15;
    page.text[start..start + page.text[start..].find('<').unwrap()].to_owned()
}
