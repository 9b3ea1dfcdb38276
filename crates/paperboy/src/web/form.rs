//! The site's form pages: one template (`form.html`) for every page that is a few forms (signing
//! up and in, links, submitting, subscribing), each field described in Rust; a refused form comes
//! back with its values and what to change.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::db::users::Session;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::sentence;
use crate::http::page::{Layout, private_page};
use crate::http::session::Viewer;
use crate::web::view::Link;

/// A form's error: a visitor who is not signed in goes to the sign-in page, and back to `back`
/// afterwards; any other error is answered as it is.
pub fn refused(err: AppError, back: &str) -> Response {
    match err {
        AppError::Unauthorized(_) => {
            axum::response::Redirect::to(&format!("/login?next={}", crate::domain::text::url_encode(back)))
                .into_response()
        }
        err => err.into_response(),
    }
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub intros: Vec<String>,
    pub forms: Vec<FormSpec>,
    pub csrf: String,
    pub links: Vec<Link>,
    /// The signed-in reader, whose name the page's account corner shows.
    pub session: Option<Session>,
}

/// One form of a [`FormPage`].
pub struct FormSpec {
    pub id: &'static str,
    pub action: String,
    pub legend: Option<String>,
    pub hidden: Vec<Hidden>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
}

#[derive(Clone)]
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// An `<input type>`, or `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub max: usize,
    pub required: bool,
    pub hint: &'static str,
}

impl Field {
    pub fn new(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Field {
        Field { name, label, kind, value: String::new(), autocomplete, max: 254, required: true, hint: "" }
    }

    pub fn value(mut self, value: Option<&str>) -> Field {
        self.value = value.unwrap_or_default().to_owned();
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    pub fn max(mut self, max: usize) -> Field {
        self.max = max;
        self
    }
}

impl FormPage {
    pub fn new(app: &App, path: &str, heading: &str, csrf: String) -> FormPage {
        FormPage {
            layout: Layout::new("", format!("{}{path}", app.core.config.base_url)),
            heading: heading.to_owned(),
            error: None,
            notice: None,
            intros: Vec::new(),
            forms: Vec::new(),
            csrf,
            links: Vec::new(),
            session: None,
        }
    }

    /// The page as `viewer` sees it: with their account corner when signed in.
    pub fn seen_by(mut self, viewer: &Viewer) -> FormPage {
        self.session = viewer.session.clone();
        self
    }

    /// The page with `status`, never stored by browsers or proxies, setting `cookie` if given.
    pub fn respond(&self, status: StatusCode, cookie: Option<HeaderValue>) -> Response {
        let mut response = private_page(status, self, self.session.as_ref());
        if let Some(cookie) = cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }

    /// A form error on the page it came from, with a CSRF cookie if the visitor had none, so that
    /// the form works when sent again.
    pub fn refuse(mut self, err: AppError, cookie: Option<HeaderValue>) -> Response {
        if err.is_internal() {
            return err.into_response();
        }
        self.error = Some(sentence(&err.to_string()));
        let mut response = self.respond(err.status(), cookie);
        if let AppError::TooManyRequests { retry_after, .. } = err
            && let Ok(value) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Whether the site is served over HTTPS, so its cookies are `Secure`.
pub fn secure(app: &App) -> bool {
    app.core.config.base_url.starts_with("https://")
}
