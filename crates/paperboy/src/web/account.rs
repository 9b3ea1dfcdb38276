//! Account pages: sign up, confirm, sign in (password or emailed link), sign out, reset a
//! password, and the settings page with personal API tokens.
//!
//! No page tells whether an email address has an account: signing up, asking for a sign-in
//! link and asking for a reset all answer the same whatever the address, and what differs goes
//! into the email, which only the address's owner reads. Links from emails open a page with a
//! button rather than acting on `GET`, so mail scanners that fetch links use nothing up.
//! Every form carries a CSRF token ([`crate::http::session`]); every answer is `private, no-store`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use serde::Deserialize;

use crate::actions::accounts::{self, CONFIRM_HOURS};
use crate::db::claims::Claim;
use crate::db::moderation::AuditEntry;
use crate::db::users::{ApiToken, Profile, User};
use crate::domain::accounts::LinkPurpose;
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::sentence;
use crate::http::extract::{FormData, Params, PathParam};
use crate::http::page::Layout;
use crate::http::page::private_page;
use crate::http::session::{self, SESSION_COOKIE, SESSION_DAYS, Viewer, anonymous_csrf};
use crate::web::form::{Field, FormPage, FormSpec, Hidden, secure};
use crate::web::view::Link;

/// Every field the account forms send; each handler reads the ones it needs.
#[derive(Debug, Default, Deserialize)]
pub struct AccountForm {
    pub csrf: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub next: Option<String>,
    pub bio: Option<String>,
    pub links: Option<String>,
}

/// `?next=` and `?token=`.
#[derive(Debug, Default, Deserialize)]
pub struct AccountQuery {
    pub next: Option<String>,
    pub token: Option<String>,
}

/// A local path to go back to after signing in; anything else (another site) becomes `/`.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/') && !path.starts_with("//") && !path.contains(['\\', '\r', '\n']) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

// ---- sign up ----------------------------------------------------------------------------------

fn sign_up_page(app: &App, csrf: String, form: &AccountForm) -> FormPage {
    let mut page = FormPage::new(app, "/signup", "Create an account", csrf);
    page.intros.push("With an account you can submit papers, upvote them and join the discussion.".into());
    page.forms.push(FormSpec {
        id: "signup",
        action: "/signup".into(),
        legend: None,
        hidden: Vec::new(),
        fields: vec![
            Field::new("name", "User name", "text", "username")
                .value(form.name.as_deref())
                .max(32)
                .hint("2 to 32 letters, digits, - or _; shown beside what you submit and write."),
            Field::new("email", "Email", "email", "email").value(form.email.as_deref()),
            Field::new("password", "Password", "password", "new-password")
                .max(256)
                .hint("At least 8 characters."),
        ],
        submit: "Create account",
    });
    page.links.push(Link::new("/login", "I have an account"));
    page
}

/// `GET /signup`.
pub async fn show_sign_up(State(app): State<App>, viewer: Viewer) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    sign_up_page(&app, csrf, &AccountForm::default()).seen_by(&viewer).respond(StatusCode::OK, cookie)
}

/// `POST /signup`.
pub async fn create_account(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    let page = sign_up_page(&app, csrf, &form);
    let signed_up = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let accounts = app.core.accounts();
        accounts
            .sign_up(viewer.address, form.name.as_deref(), form.email.as_deref(), form.password.as_deref())
            .await
    };
    match signed_up.await {
        Ok(email) => {
            let mut done = FormPage::new(&app, "/signup", "Check your inbox", page.csrf);
            done.notice = Some(format!(
                "We sent a link to {email}. Open it within {CONFIRM_HOURS} hours to confirm your address \
                 and finish signing up."
            ));
            done.respond(StatusCode::OK, None)
        }
        Err(err) => page.refuse(err, cookie),
    }
}

// ---- emailed links ----------------------------------------------------------------------------

// ---- sign in and out --------------------------------------------------------------------------

fn login_page(app: &App, csrf: String, form: &AccountForm) -> FormPage {
    let mut page = FormPage::new(app, "/login", "Sign in", csrf);
    let next = vec![Hidden { name: "next", value: local_path(form.next.as_deref()) }];
    page.forms.push(FormSpec {
        id: "login",
        action: "/login".into(),
        legend: None,
        hidden: next.clone(),
        fields: vec![
            Field::new("email", "Email", "email", "email").value(form.email.as_deref()),
            Field::new("password", "Password", "password", "current-password").max(256),
        ],
        submit: "Sign in",
    });
    page.forms.push(FormSpec {
        id: "magic",
        action: "/login/link".into(),
        legend: Some("Or sign in with a link by email".into()),
        hidden: next,
        fields: vec![Field::new("email", "Email", "email", "email").value(form.email.as_deref())],
        submit: "Email me a link",
    });
    page.links.push(Link::new("/password/forgot", "I forgot my password"));
    page.links.push(Link::new("/signup", "Create an account"));
    page
}

/// `GET /login`.
pub async fn show_login(
    State(app): State<App>,
    viewer: Viewer,
    Params(query): Params<AccountQuery>,
) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    let form = AccountForm { next: query.next, ..AccountForm::default() };
    login_page(&app, csrf, &form).seen_by(&viewer).respond(StatusCode::OK, cookie)
}

/// `POST /login`: a session cookie and back to where the reader was.
pub async fn create_session(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    let page = login_page(&app, csrf, &form);
    let logged_in = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        app.core.accounts().log_in(viewer.address, form.email.as_deref(), form.password.as_deref()).await
    };
    match logged_in.await {
        Ok(user) => signed_in(&app, &user, &local_path(form.next.as_deref())).await,
        Err(err) => page.refuse(err, cookie),
    }
}

/// Starts a session for `user` and sends the browser to `next`.
async fn signed_in(app: &App, user: &User, next: &str) -> Response {
    match app.core.db.create_session(user.id, Duration::days(SESSION_DAYS)).await {
        Ok(secret) => {
            let max_age = std::time::Duration::from_secs(SESSION_DAYS as u64 * 86_400);
            let cookie = session::set_cookie(SESSION_COOKIE, secret.expose(), max_age, secure(app));
            let mut response = Redirect::to(next).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(err) => AppError::from(err).into_response(),
    }
}

/// `POST /login/link`: mails a sign-in link if the address has an account.
pub async fn request_login_link(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    let page = login_page(&app, csrf, &form);
    mail_link_page(&app, &viewer, &form, LinkPurpose::Login, page, cookie).await
}

async fn mail_link_page(
    app: &App,
    viewer: &Viewer,
    form: &AccountForm,
    purpose: LinkPurpose,
    page: FormPage,
    cookie: Option<HeaderValue>,
) -> Response {
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        app.core.accounts().mail_link(viewer.address, form.email.as_deref(), purpose).await
    }
    .await;
    match result {
        Ok(email) => {
            let mut done = FormPage::new(app, "/login", "Check your inbox", page.csrf);
            done.notice = Some(format!(
                "If {email} belongs to an account, a link is on its way to it. It works once and \
                 expires soon; if nothing arrives, check your spam folder or ask again in a few minutes."
            ));
            done.respond(StatusCode::OK, None)
        }
        Err(err) => page.refuse(err, cookie),
    }
}

/// `POST /logout`.
pub async fn delete_session(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    if let Err(err) = viewer.check_csrf(form.csrf.as_deref()) {
        return err.into_response();
    }
    if let Some(cookie) = &viewer.cookie
        && let Err(err) = app.core.db.delete_session(cookie).await
    {
        return AppError::from(err).into_response();
    }
    let mut response = Redirect::to("/").into_response();
    let gone = session::set_cookie(SESSION_COOKIE, "", std::time::Duration::ZERO, secure(&app));
    response.headers_mut().append(header::SET_COOKIE, gone);
    response
}

// ---- password reset ---------------------------------------------------------------------------

fn forgot_page(app: &App, csrf: String, form: &AccountForm) -> FormPage {
    let mut page = FormPage::new(app, "/password/forgot", "Choose a new password", csrf);
    page.intros.push("We will email you a link to choose a new password.".into());
    page.forms.push(FormSpec {
        id: "forgot",
        action: "/password/forgot".into(),
        legend: None,
        hidden: Vec::new(),
        fields: vec![Field::new("email", "Email", "email", "email").value(form.email.as_deref())],
        submit: "Email me a link",
    });
    page
}

/// `GET /password/forgot`.
pub async fn show_forgot_password(State(app): State<App>, viewer: Viewer) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    forgot_page(&app, csrf, &AccountForm::default()).seen_by(&viewer).respond(StatusCode::OK, cookie)
}

/// `POST /password/forgot`.
pub async fn request_reset_link(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
    let page = forgot_page(&app, csrf, &form);
    mail_link_page(&app, &viewer, &form, LinkPurpose::Reset, page, cookie).await
}

// ---- following a link -------------------------------------------------------------------------

fn link_page(app: &App, purpose: LinkPurpose, csrf: String, token: &str, user: &User) -> FormPage {
    let (heading, submit, fields) = match purpose {
        LinkPurpose::Confirm => ("Confirm your address", "Confirm and sign in", Vec::new()),
        LinkPurpose::Login => ("Sign in", "Sign in", Vec::new()),
        LinkPurpose::Reset => (
            "Choose a new password",
            "Save the password and sign in",
            vec![
                Field::new("password", "New password", "password", "new-password")
                    .max(256)
                    .hint("At least 8 characters."),
            ],
        ),
    };
    let mut page = FormPage::new(app, &format!("/links/{}", purpose.as_str()), heading, csrf);
    page.intros.push(format!("For the account {} ({}).", user.name, user.email));
    page.forms.push(FormSpec {
        id: "link",
        action: format!("/links/{}", purpose.as_str()),
        legend: None,
        hidden: vec![Hidden { name: "token", value: token.to_owned() }],
        fields,
        submit,
    });
    page
}

/// `GET /links/{purpose}?token=`: what the link will do, and a button to do it.
pub async fn show_link(
    State(app): State<App>,
    viewer: Viewer,
    PathParam(slug): PathParam<String>,
    Params(query): Params<AccountQuery>,
) -> Response {
    let Some(purpose) = LinkPurpose::parse(&slug) else {
        return AppError::NotFound("There is no such link.".into()).into_response();
    };
    let token = query.token.unwrap_or_default();
    match app.core.db.check_link(&Secret::from_client(&token), purpose).await {
        Ok(user) => {
            let (csrf, cookie) = anonymous_csrf(&viewer, secure(&app));
            link_page(&app, purpose, csrf, &token, &user).seen_by(&viewer).respond(StatusCode::OK, cookie)
        }
        Err(err) => AppError::from(err).into_response(),
    }
}

/// `POST /links/{purpose}`: uses the link up and signs its owner in.
pub async fn use_link(
    State(app): State<App>,
    viewer: Viewer,
    PathParam(slug): PathParam<String>,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let Some(purpose) = LinkPurpose::parse(&slug) else {
        return AppError::NotFound("There is no such link.".into()).into_response();
    };
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let token = form.token.as_deref().unwrap_or_default();
        app.core.accounts().use_link(token, purpose, form.password.as_deref()).await
    }
    .await;
    match result {
        Ok(user) => {
            signed_in(&app, &user, if purpose == LinkPurpose::Confirm { "/settings" } else { "/" }).await
        }
        Err(err) => err.into_response(),
    }
}

// ---- settings and API tokens ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    user: User,
    csrf: String,
    profile: Profile,
    claims: Vec<Claim>,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    error: Option<String>,
}

/// `GET /settings`: the account and its API tokens.
pub async fn show_settings(State(app): State<App>, viewer: Viewer) -> Response {
    settings(&app, &viewer, None, None).await
}

async fn settings(app: &App, viewer: &Viewer, new_token: Option<String>, error: Option<String>) -> Response {
    let Some(session) = &viewer.session else { return Redirect::to("/login?next=/settings").into_response() };
    let user = session.user.id;
    let read = async {
        let db = &app.core.db;
        Ok::<_, AppError>((
            db.api_tokens(user).await?,
            db.profile(user).await?,
            db.claims_of(user, 100).await?,
        ))
    };
    let (tokens, profile, claims) = match read.await {
        Ok(read) => read,
        Err(err) => return err.into_response(),
    };
    let page = SettingsPage {
        layout: Layout::new("", format!("{}/settings", app.core.config.base_url)),
        user: session.user.clone(),
        csrf: session.csrf_token.clone(),
        profile,
        claims,
        tokens,
        new_token,
        error,
    };
    let status = if page.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    private_page(status, &page, Some(session))
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    layout: Layout,
    csrf: String,
    claims: Vec<Claim>,
    entries: Vec<AuditEntry>,
}

/// Moderation actions the log page shows.
const LOG_ENTRIES: u64 = 200;

/// `GET /moderation`: the audit log, for curators and admins.
pub async fn show_moderation_log(State(app): State<App>, viewer: Viewer) -> Response {
    let Some(session) = &viewer.session else {
        return Redirect::to("/login?next=/moderation").into_response();
    };
    if !session.user.role.moderates() {
        return AppError::Forbidden("only curators may read the moderation log".into()).into_response();
    }
    let read = async {
        Ok::<_, AppError>((
            app.core.db.pending_claims(LOG_ENTRIES as u32).await?,
            app.core.db.audit_log(LOG_ENTRIES).await?,
        ))
    };
    let (claims, entries) = match read.await {
        Ok(read) => read,
        Err(err) => return err.into_response(),
    };
    let page = ModerationPage {
        layout: Layout::new("", format!("{}/moderation", app.core.config.base_url)),
        csrf: session.csrf_token.clone(),
        claims,
        entries,
    };
    private_page(StatusCode::OK, &page, Some(session))
}

/// `POST /settings/profile`: the bio and links the member's profile shows.
pub async fn save_profile(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let user = viewer.require_user()?;
        accounts::set_profile(
            &app.core.db,
            user,
            form.bio.as_deref().unwrap_or_default(),
            form.links.as_deref().unwrap_or_default(),
        )
        .await?;
        Ok::<_, AppError>(user.name.clone())
    }
    .await;
    match result {
        Ok(name) => Redirect::to(&format!("/users/{name}")).into_response(),
        Err(AppError::BadRequest(message)) => settings(&app, &viewer, None, Some(message)).await,
        Err(err) => err.into_response(),
    }
}

/// `POST /settings/tokens`: a new token, shown on the page this once.
pub async fn create_token(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let user = viewer.require_user()?;
        accounts::create_token(&app.core.db, user, form.name.as_deref().unwrap_or_default()).await
    }
    .await;
    match result {
        Ok(secret) => settings(&app, &viewer, Some(secret.expose().to_owned()), None).await,
        Err(AppError::BadRequest(message)) => settings(&app, &viewer, None, Some(sentence(&message))).await,
        Err(err) => err.into_response(),
    }
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(app): State<App>,
    viewer: Viewer,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    FormData(form): FormData<AccountForm>,
) -> Response {
    let Ok(Path(id)) = id else {
        return AppError::NotFound("There is no such token.".into()).into_response();
    };
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let user = viewer.require_user()?;
        if !app.core.db.revoke_api_token(user.id, id).await? {
            return Err(AppError::NotFound("you have no such token, or it was revoked already".into()));
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(err) => err.into_response(),
    }
}
