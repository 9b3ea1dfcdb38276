//! Digest pages: subscribe (a form on every feed page, and `/subscribe` with every setting),
//! confirm, change settings and unsubscribe, with or without an account.
//!
//! Double opt-in: asking to subscribe only ever sends the confirmation email, at most one per
//! address per [`MAIL_WINDOW`](crate::actions::subscriptions::MAIL_WINDOW) however often it is asked, and the answer is the same whether
//! or not the address is known, so the form tells nobody who subscribes. Settings and
//! unsubscribe pages open with the signed token from each digest ([`crate::digest::links`]),
//! no sign-in needed; `POST /unsubscribe?token=` is the one-click address of RFC 8058. Links
//! open a page with a button, so mail scanners that fetch them change nothing. Signed-in
//! readers subscribe from their settings, with no confirmation: their address is confirmed.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Weekday;
use serde::Deserialize;

use crate::actions::subscriptions::CHECK_INBOX;
use crate::db::digests::{ConfirmOutcome, Subscription, SubscriptionState};
use crate::domain::digest::{Changes, Preferences, weekday_name};
use crate::domain::secrets::Secret;
use crate::error::AppError;
use crate::http::App;
use crate::http::error::sentence;
use crate::http::extract::{FormData, Params, TokenQuery};
use crate::http::page::Layout;
use crate::http::page::private_page;
use crate::http::session::{Viewer, anonymous_csrf};
use crate::web::form::{Field, FormPage, FormSpec, Hidden, secure};
use crate::web::view::Link;

/// Every field the digest forms send; each handler reads the ones it needs.
#[derive(Debug, Default, Deserialize)]
pub struct DigestForm {
    pub csrf: Option<String>,
    pub email: Option<String>,
    pub token: Option<String>,
    #[serde(flatten)]
    pub changes: Changes,
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The settings as the form shows them.
pub struct PrefsView {
    pub frequency: &'static str,
    pub time_zone: String,
    pub categories: String,
    pub include: String,
    pub exclude: String,
    pub mode: &'static str,
    pub papers_per_email: u32,
}

/// A form of only hidden fields and a button.
pub struct ButtonForm {
    pub action: String,
    pub hidden: Vec<Hidden>,
    pub submit: &'static str,
}

#[derive(Template)]
#[template(path = "subscription.html")]
struct SettingsPage {
    layout: Layout,
    session: Option<crate::db::users::Session>,
    heading: String,
    error: Option<String>,
    notice: Option<String>,
    intros: Vec<String>,
    action: String,
    hidden: Vec<Hidden>,
    ask_email: bool,
    email: String,
    prefs: PrefsView,
    weekdays: Vec<Choice>,
    hours: Vec<Choice>,
    submit: &'static str,
    extra_forms: Vec<ButtonForm>,
}

impl SettingsPage {
    fn new(app: &App, viewer: &Viewer, path: &str, heading: &str, prefs: &Preferences) -> SettingsPage {
        let weekdays = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .map(|day| Choice {
            value: weekday_name(day).to_lowercase(),
            label: weekday_name(day).into(),
            selected: day == prefs.weekday,
        })
        .collect();
        let hours = (0..24)
            .map(|hour| Choice {
                value: hour.to_string(),
                label: format!("{hour:02}:00"),
                selected: hour == prefs.hour,
            })
            .collect();
        SettingsPage {
            layout: Layout::new("", format!("{}{path}", app.core.config.base_url)),
            session: viewer.session.clone(),
            heading: heading.to_owned(),
            error: None,
            notice: None,
            intros: Vec::new(),
            action: path.to_owned(),
            hidden: Vec::new(),
            ask_email: false,
            email: String::new(),
            prefs: PrefsView {
                frequency: prefs.frequency.as_str(),
                time_zone: prefs.time_zone.name().to_owned(),
                categories: prefs.categories.join(", "),
                include: prefs.include.join(", "),
                exclude: prefs.exclude.join(", "),
                mode: prefs.mode.as_str(),
                papers_per_email: prefs.papers_per_email,
            },
            weekdays,
            hours,
            submit: "Save",
            extra_forms: Vec::new(),
        }
    }

    fn respond(&self, status: StatusCode) -> Response {
        private_page(status, self, self.session.as_ref())
    }
}

/// What a subscription's settings page says about its state and schedule.
fn describe(subscription: &Subscription) -> String {
    let prefs = &subscription.prefs;
    let when = match prefs.frequency {
        crate::domain::digest::Frequency::Daily => format!("every day at {:02}:00", prefs.hour),
        crate::domain::digest::Frequency::Weekly => {
            format!("every {} at {:02}:00", weekday_name(prefs.weekday), prefs.hour)
        }
    };
    match subscription.state {
        SubscriptionState::Active => {
            format!("{} gets the digest {when} ({}).", subscription.email, prefs.time_zone.name())
        }
        SubscriptionState::Paused => format!(
            "The digest to {} is paused: its mail server refused the last {} digests. Saving the settings \
             resumes it.",
            subscription.email, subscription.bounces
        ),
        SubscriptionState::Pending => {
            format!(
                "{} has not confirmed the subscription yet: open the link in the email.",
                subscription.email
            )
        }
        SubscriptionState::Unsubscribed => {
            format!("{} is unsubscribed. Saving the settings subscribes it again.", subscription.email)
        }
    }
}

// ---- subscribing --------------------------------------------------------------------------------

/// `GET /subscribe`: the address and every setting.
pub async fn show_subscribe(State(app): State<App>, viewer: Viewer) -> Response {
    if viewer.user().is_some() {
        return Redirect::to("/settings/digest").into_response();
    }
    subscribe_page(&app, &viewer, &Preferences::default(), "", None)
}

fn subscribe_page(
    app: &App,
    viewer: &Viewer,
    prefs: &Preferences,
    email: &str,
    error: Option<String>,
) -> Response {
    let (csrf, cookie) = anonymous_csrf(viewer, secure(app));
    let mut page = SettingsPage::new(app, viewer, "/subscribe", "Trending papers in your inbox", prefs);
    page.intros.push(
        "A digest of the papers the community upvoted, daily or weekly, at your hour. We email you a link \
         to confirm first; every digest has a link to change these settings and to stop it."
            .into(),
    );
    page.hidden.push(Hidden { name: "csrf", value: csrf });
    page.ask_email = true;
    page.email = email.to_owned();
    page.submit = "Subscribe";
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page.error = error;
    let mut response = page.respond(status);
    if let Some(cookie) = cookie {
        response.headers_mut().append(axum::http::header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /subscribe`: from the full form (with its CSRF token) or from the one-field form on
/// cached feed pages, which cannot carry one; browsers mark cross-site posts, and those are
/// refused. The answer is the same page whatever the address.
pub async fn subscribe(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<DigestForm>,
) -> Response {
    if form.csrf.is_some()
        && let Err(err) = viewer.check_csrf(form.csrf.as_deref())
    {
        return err.into_response();
    }
    let email = form.email.clone().unwrap_or_default();
    let changes = form.changes.clone();
    match app.core.subscriptions().ask(viewer.address, &email, &changes).await {
        Ok(()) => {
            let mut page =
                FormPage::new(&app, "/subscribe", "Check your inbox", String::new()).seen_by(&viewer);
            page.intros.push(CHECK_INBOX.into());
            page.respond(StatusCode::OK, None)
        }
        Err(AppError::BadRequest(message)) => {
            let prefs = Preferences::default().with(&changes).unwrap_or_default();
            subscribe_page(&app, &viewer, &prefs, &email, Some(sentence(&message)))
        }
        Err(err) => err.into_response(),
    }
}

/// `GET /subscription/confirm?token=`: a button that confirms.
pub async fn show_confirm(
    State(app): State<App>,
    viewer: Viewer,
    Params(query): Params<TokenQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    let mut page = FormPage::new(&app, "/subscription/confirm", "Confirm your subscription", String::new());
    page.intros.push("One click, and the digest starts at your hour.".into());
    page.forms.push(FormSpec {
        id: "confirm",
        action: "/subscription/confirm".into(),
        legend: None,
        hidden: vec![Hidden { name: "token", value: token }],
        fields: Vec::new(),
        submit: "Confirm",
    });
    page.seen_by(&viewer).respond(StatusCode::OK, None)
}

/// `POST /subscription/confirm`: uses the link. The token is the proof; no CSRF token needed.
pub async fn confirm(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<DigestForm>,
) -> Response {
    let hash = Secret::from_client(form.token.as_deref().unwrap_or_default()).hash();
    let outcome = match app.core.db.confirm_subscription(&hash).await {
        Ok(outcome) => outcome,
        Err(err) => return AppError::from(err).into_response(),
    };
    let subscription = match outcome {
        ConfirmOutcome::Confirmed(subscription) => subscription,
        ConfirmOutcome::Used(subscription) => {
            return settings_link_page(&app, &viewer, &subscription, "This link was used already").await;
        }
        ConfirmOutcome::Expired => {
            return AppError::BadRequest(
                "This confirmation link has expired (they work for 48 hours). Subscribe again to get a new one."
                    .into(),
            )
            .into_response();
        }
        ConfirmOutcome::Unknown => {
            return AppError::BadRequest("This confirmation link is not valid.".into()).into_response();
        }
    };
    settings_link_page(&app, &viewer, &subscription, "You are subscribed").await
}

async fn settings_link_page(
    app: &App,
    viewer: &Viewer,
    subscription: &Subscription,
    heading: &str,
) -> Response {
    let token = match app.core.subscriptions().token(subscription).await {
        Ok(token) => token,
        Err(err) => return err.into_response(),
    };
    let mut page = FormPage::new(app, "/subscription/confirm", heading, String::new()).seen_by(viewer);
    page.intros.push(describe(subscription));
    page.links.push(Link::new(format!("/subscription?token={token}"), "Change the settings"));
    page.respond(StatusCode::OK, None)
}

// ---- settings by token --------------------------------------------------------------------------

/// The subscription a link's token opens, or a friendly 404 page that tells nothing more.
async fn open(app: &App, token: &str) -> Result<Subscription, Response> {
    match app.core.subscriptions().open(token).await {
        Ok(Some(subscription)) => Ok(subscription),
        Ok(None) => Err(AppError::NotFound(
            "This link is not valid. Links from a digest keep working; check that it was copied whole."
                .into(),
        )
        .into_response()),
        Err(err) => Err(err.into_response()),
    }
}

/// `GET /subscription?token=`: the settings of the subscription the token opens.
pub async fn show_settings(
    State(app): State<App>,
    viewer: Viewer,
    Params(query): Params<TokenQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    match open(&app, &token).await {
        Ok(subscription) => token_settings(&app, &viewer, &token, &subscription, None, None),
        Err(response) => response,
    }
}

fn token_settings(
    app: &App,
    viewer: &Viewer,
    token: &str,
    subscription: &Subscription,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let mut page = SettingsPage::new(app, viewer, "/subscription", "Your digest", &subscription.prefs);
    page.action = format!("/subscription?token={token}");
    page.intros.push(describe(subscription));
    page.notice = notice;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page.error = error;
    if subscription.state == SubscriptionState::Unsubscribed {
        page.submit = "Subscribe again";
    } else {
        page.extra_forms.push(ButtonForm {
            action: format!("/unsubscribe?token={token}"),
            hidden: Vec::new(),
            submit: "Unsubscribe",
        });
    }
    page.respond(status)
}

/// `POST /subscription?token=`: saves the settings.
pub async fn save_settings(
    State(app): State<App>,
    viewer: Viewer,
    Params(query): Params<TokenQuery>,
    FormData(form): FormData<DigestForm>,
) -> Response {
    let token = query.token.unwrap_or_default();
    let subscription = match open(&app, &token).await {
        Ok(subscription) => subscription,
        Err(response) => return response,
    };
    match subscription.prefs.with(&form.changes) {
        Ok(prefs) => match app.core.db.set_preferences(subscription.id, &prefs).await {
            Ok(saved) => token_settings(&app, &viewer, &token, &saved, Some("Saved.".into()), None),
            Err(err) => AppError::from(err).into_response(),
        },
        Err(message) => token_settings(&app, &viewer, &token, &subscription, None, Some(sentence(&message))),
    }
}

// ---- unsubscribing ------------------------------------------------------------------------------

/// `GET /unsubscribe?token=`: a button that unsubscribes; without a token, a form that mails
/// an unsubscribe link to an address.
pub async fn show_unsubscribe(
    State(app): State<App>,
    viewer: Viewer,
    Params(query): Params<TokenQuery>,
) -> Response {
    let Some(token) = query.token else { return unsubscribe_by_email_page(&app, &viewer, None) };
    let subscription = match open(&app, &token).await {
        Ok(subscription) => subscription,
        Err(response) => return response,
    };
    let mut page = FormPage::new(&app, "/unsubscribe", "Unsubscribe", String::new()).seen_by(&viewer);
    if subscription.state == SubscriptionState::Unsubscribed {
        page.intros.push(format!("{} is unsubscribed: no more digests go to it.", subscription.email));
    } else {
        page.intros.push(format!("Stop the digest to {}?", subscription.email));
        page.forms.push(FormSpec {
            id: "unsubscribe",
            action: format!("/unsubscribe?token={token}"),
            legend: None,
            hidden: Vec::new(),
            fields: Vec::new(),
            submit: "Unsubscribe",
        });
    }
    page.respond(StatusCode::OK, None)
}

fn unsubscribe_by_email_page(app: &App, viewer: &Viewer, notice: Option<String>) -> Response {
    let (csrf, cookie) = anonymous_csrf(viewer, secure(app));
    let mut page = FormPage::new(app, "/unsubscribe", "Unsubscribe", csrf).seen_by(viewer);
    page.notice = notice;
    page.intros.push(
        "Every digest ends with a link that unsubscribes in one click. Lost it? Enter the address, and we \
         email it a new one."
            .into(),
    );
    page.forms.push(FormSpec {
        id: "unsubscribe",
        action: "/unsubscribe".into(),
        legend: None,
        hidden: Vec::new(),
        fields: vec![Field::new("email", "Email address", "email", "email").max(254)],
        submit: "Email me a link",
    });
    page.respond(StatusCode::OK, cookie)
}

/// `POST /unsubscribe?token=`: unsubscribes at once (RFC 8058 one-click: mail clients post
/// `List-Unsubscribe=One-Click` here, with no cookies). Without a token, mails an unsubscribe
/// link to the posted address if it has a subscription, answering the same either way.
pub async fn unsubscribe(
    State(app): State<App>,
    viewer: Viewer,
    Params(query): Params<TokenQuery>,
    form: Result<Form<DigestForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Some(token) = query.token {
        let subscription = match open(&app, &token).await {
            Ok(subscription) => subscription,
            Err(response) => return response,
        };
        if let Err(err) = app.core.db.unsubscribe(subscription.id, "one-click link").await {
            return AppError::from(err).into_response();
        }
        let mut page = FormPage::new(&app, "/unsubscribe", "Unsubscribed", String::new()).seen_by(&viewer);
        page.intros.push(format!("No more digests go to {}.", subscription.email));
        page.links
            .push(Link::new(format!("/subscription?token={token}"), "Changed your mind? Subscribe again"));
        return page.respond(StatusCode::OK, None);
    }
    let form = form.map(|Form(form)| form).unwrap_or_default();
    if let Err(err) = viewer.check_csrf(form.csrf.as_deref()) {
        return err.into_response();
    }
    match app
        .core
        .subscriptions()
        .mail_unsubscribe_link(viewer.address, form.email.as_deref().unwrap_or_default())
        .await
    {
        Ok(()) => unsubscribe_by_email_page(
            &app,
            &viewer,
            Some("If that address gets a digest, we have emailed it a link to stop it.".into()),
        ),
        Err(err) => err.into_response(),
    }
}

// ---- signed-in readers --------------------------------------------------------------------------

/// `GET /settings/digest`: a signed-in reader's digest settings.
pub async fn show_account_digest(State(app): State<App>, viewer: Viewer) -> Response {
    account_digest_page(&app, &viewer, None, None).await
}

async fn account_digest_page(
    app: &App,
    viewer: &Viewer,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let Some(session) = &viewer.session else {
        return Redirect::to("/login?next=/settings/digest").into_response();
    };
    let subscription = match app.core.subscriptions().of_member(&session.user).await {
        Ok(subscription) => subscription,
        Err(err) => return err.into_response(),
    };
    let receiving = subscription
        .as_ref()
        .filter(|s| matches!(s.state, SubscriptionState::Active | SubscriptionState::Paused));
    let prefs = subscription.as_ref().map(|s| s.prefs.clone()).unwrap_or_default();
    let mut page = SettingsPage::new(app, viewer, "/settings/digest", "Your digest", &prefs);
    page.hidden.push(Hidden { name: "csrf", value: session.csrf_token.clone() });
    page.notice = notice;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page.error = error;
    match receiving {
        Some(subscription) => {
            page.intros.push(describe(subscription));
            page.extra_forms.push(ButtonForm {
                action: "/settings/digest/unsubscribe".into(),
                hidden: vec![Hidden { name: "csrf", value: session.csrf_token.clone() }],
                submit: "Unsubscribe",
            });
        }
        None => {
            page.intros.push(format!(
                "Get the community's trending papers, or papers close to what you upvote, at {}.",
                session.user.email
            ));
            page.submit = "Subscribe";
        }
    }
    page.respond(status)
}

/// `POST /settings/digest`: subscribes the signed-in reader, or saves their settings.
pub async fn save_account_digest(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<DigestForm>,
) -> Response {
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let user = viewer.require_user()?;
        app.core.subscriptions().subscribe_member(user, &form.changes).await?;
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => account_digest_page(&app, &viewer, Some("Saved.".into()), None).await,
        Err(AppError::BadRequest(message)) => {
            account_digest_page(&app, &viewer, None, Some(sentence(&message))).await
        }
        Err(err) => err.into_response(),
    }
}

/// `POST /settings/digest/unsubscribe`: stops the signed-in reader's digest.
pub async fn unsubscribe_account(
    State(app): State<App>,
    viewer: Viewer,
    FormData(form): FormData<DigestForm>,
) -> Response {
    let result = async {
        viewer.check_csrf(form.csrf.as_deref())?;
        let user = viewer.require_user()?;
        if let Some(subscription) = app.core.subscriptions().of_member(user).await? {
            app.core.db.unsubscribe(subscription.id, "account settings").await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            account_digest_page(&app, &viewer, Some("Unsubscribed: no more digests.".into()), None).await
        }
        Err(err) => err.into_response(),
    }
}
