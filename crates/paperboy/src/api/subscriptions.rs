//! Digest subscriptions over the API: subscribe, read, change and end one.
//!
//! `POST /api/subscriptions` with an email starts double opt-in exactly as the site's form does
//! (`202`, the same answer whatever the address); with an API token it subscribes the token's
//! account at once. `/api/subscriptions/current` reads (`GET`), changes (`PATCH`) and ends
//! (`DELETE`) the subscription named by `?token=` (the signed token of every digest's links) or
//! by the API token's account. Settings are JSON of the documented types, checked field by
//! field with a message that names the field.

use std::borrow::Cow;

use aide::generate::GenContext;
use aide::openapi::{Operation, Response};
use aide::operation::OperationOutput;
use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::MaybeApiUser;
use super::contract::{CATEGORY, CATEGORY_LIST, EMAIL, KEYWORD, matches, names, variant, whole_number};
use super::json::iso_millis;
use crate::actions::subscriptions::CHECK_INBOX;
use crate::db::digests::Subscription;
use crate::db::users::User;
use crate::digest::links::LinkKey;
use crate::digest::render::Renderer;
use crate::domain::digest::{Changes, Input, MAX_KEYWORD_CHARS, MAX_LIST, MAX_PAPERS, weekday_name};
use crate::error::AppError;
use crate::http::App;
use crate::http::error::errors;
use crate::http::extract::{Body, Params, TokenQuery};
use crate::http::session::Viewer;

/// A subscription as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Subscription")]
pub struct SubscriptionJson {
    email: String,
    /// `pending` until the emailed link is used, then `active`; `paused` after repeated bounces;
    /// `unsubscribed`.
    state: &'static str,
    frequency: &'static str,
    weekday: String,
    hour: u32,
    time_zone: String,
    categories: Vec<String>,
    include_keywords: Vec<String>,
    exclude_keywords: Vec<String>,
    mode: &'static str,
    papers_per_email: u32,
    #[schemars(extend("format" = "date-time"))]
    next_digest_at: Option<String>,
    /// The settings page, which needs no sign-in.
    manage_url: String,
    /// Unsubscribes in one click (`POST`).
    unsubscribe_url: String,
}

async fn to_json(app: &App, subscription: Subscription) -> Result<SubscriptionJson, AppError> {
    let renderer = Renderer::new(
        &app.core.config.base_url,
        LinkKey::load(&app.core.db).await?,
        &app.core.config.mail.from,
    );
    let prefs = subscription.prefs;
    Ok(SubscriptionJson {
        manage_url: renderer.manage_url(subscription.id, &subscription.email),
        unsubscribe_url: renderer.unsubscribe_url(subscription.id, &subscription.email),
        email: subscription.email,
        state: subscription.state.as_str(),
        frequency: prefs.frequency.as_str(),
        weekday: weekday_name(prefs.weekday).to_lowercase(),
        hour: prefs.hour,
        time_zone: prefs.time_zone.name().to_owned(),
        categories: prefs.categories,
        include_keywords: prefs.include,
        exclude_keywords: prefs.exclude,
        mode: prefs.mode.as_str(),
        papers_per_email: prefs.papers_per_email,
        next_digest_at: subscription.next_due_at.map(iso_millis),
    })
}

/// The documented type of a setting, and what [`SettingsBody::changes`] checks the value
/// against (read as JSON first, so that a refusal names the field).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum FrequencyName {
    Daily,
    Weekly,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum WeekdayName {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// A day of the week by name, or by its number from 1 (Monday) to 7 (Sunday), as a number or
/// as text.
struct WeekdaySetting;

/// The weekdays' numbers as text.
const WEEKDAY_NUMBERS: [&str; 7] = ["1", "2", "3", "4", "5", "6", "7"];

impl JsonSchema for WeekdaySetting {
    fn schema_name() -> Cow<'static, str> {
        "Weekday".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "oneOf": [
                generator.subschema_for::<WeekdayName>(),
                { "type": "string", "enum": WEEKDAY_NUMBERS },
                { "type": "integer", "minimum": 1, "maximum": 7 }
            ]
        })
    }
}

/// Categories as a list, or in one text separated by commas or new lines (as the site's form
/// sends them).
struct CategoriesSetting;

impl JsonSchema for CategoriesSetting {
    fn schema_name() -> Cow<'static, str> {
        "Categories".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "oneOf": [
                { "type": "array", "maxItems": MAX_LIST, "items": { "type": "string", "pattern": CATEGORY } },
                { "type": "string", "pattern": CATEGORY_LIST }
            ]
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum ModeName {
    /// The period's most upvoted papers.
    Trending,
    /// The papers closest to what the reader upvoted.
    Personal,
}

/// An IANA time zone name, such as `Europe/Berlin` or `UTC`.
struct TimeZoneName;

impl JsonSchema for TimeZoneName {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        schemars::json_schema!({ "type": "string", "enum": names, "description": "An IANA time zone name." })
    }
}

/// An address and settings. Each field is read as JSON and checked against its documented type,
/// so that the refusal names the field.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "SubscriptionSettings")]
pub struct SettingsBody {
    /// The address to subscribe (`POST` without an API token); never changes afterwards.
    #[schemars(with = "Option<String>", length(max = 254), pattern(EMAIL))]
    email: Option<Value>,
    #[schemars(with = "Option<FrequencyName>")]
    frequency: Option<Value>,
    /// The day a weekly digest goes out: its name, or its number from 1 (Monday) to 7.
    #[schemars(with = "Option<WeekdaySetting>")]
    weekday: Option<Value>,
    /// The hour it goes out, in `timeZone`.
    #[schemars(with = "Option<u32>", range(max = 23))]
    hour: Option<Value>,
    #[schemars(with = "Option<TimeZoneName>")]
    time_zone: Option<Value>,
    /// arXiv categories or archives (`cs.CL`, `math`); none for every paper. A list, or one
    /// text with them separated by commas or new lines.
    #[schemars(with = "Option<CategoriesSetting>")]
    categories: Option<Value>,
    /// A paper must mention one of these, as a whole word, in its title or abstract.
    #[schemars(with = "Option<Vec<String>>", length(max = MAX_LIST), inner(length(max = MAX_KEYWORD_CHARS), pattern(KEYWORD)))]
    include_keywords: Option<Value>,
    /// A paper that mentions any of these is left out.
    #[schemars(with = "Option<Vec<String>>", length(max = MAX_LIST), inner(length(max = MAX_KEYWORD_CHARS), pattern(KEYWORD)))]
    exclude_keywords: Option<Value>,
    #[schemars(with = "Option<ModeName>")]
    mode: Option<Value>,
    #[schemars(with = "Option<u32>", range(min = 1, max = MAX_PAPERS))]
    papers_per_email: Option<Value>,
}

/// The body of `PATCH`: [`SettingsBody`] without `email`, since an address never changes.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct SettingsPatch(SettingsBody);

impl JsonSchema for SettingsPatch {
    fn schema_name() -> Cow<'static, str> {
        "SettingsPatch".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = SettingsBody::json_schema(generator);
        if let Some(properties) =
            schema.as_object_mut().and_then(|o| o.get_mut("properties")).and_then(Value::as_object_mut)
        {
            properties.remove("email");
        }
        schema
    }
}

impl SettingsBody {
    /// The address, if the body has one of the documented form.
    fn email(&self) -> Result<Option<&str>, AppError> {
        match &self.email {
            None => Ok(None),
            Some(Value::String(email)) if email.chars().count() <= 254 && matches(EMAIL, email) => {
                Ok(Some(email))
            }
            Some(other) => Err(AppError::BadRequest(format!("`{}` is not an email address", shown(other)))),
        }
    }

    /// The settings as changes to make, each checked against its documented type.
    fn changes(&self) -> Result<Changes, AppError> {
        Ok(Changes {
            frequency: one_of::<FrequencyName>(&self.frequency, "frequency")?,
            weekday: match &self.weekday {
                Some(Value::Number(_)) => whole(&self.weekday, "weekday", 1, 7)?,
                Some(Value::String(number)) if WEEKDAY_NUMBERS.contains(&number.as_str()) => {
                    Some(Input::Text(number.clone()))
                }
                _ => one_of::<WeekdayName>(&self.weekday, "weekday")?,
            },
            hour: whole(&self.hour, "hour", 0, 23)?,
            time_zone: match &self.time_zone {
                None => None,
                Some(Value::String(name)) if name.parse::<chrono_tz::Tz>().is_ok() => {
                    Some(Input::Text(name.clone()))
                }
                Some(other) => {
                    return Err(refused(format!(
                        "time zone `{}` is not an IANA time zone name such as Europe/Berlin or UTC",
                        shown(other)
                    )));
                }
            },
            categories: match &self.categories {
                Some(Value::String(text)) if matches(CATEGORY_LIST, text) => Some(Input::Text(text.clone())),
                Some(text @ Value::String(_)) => {
                    return Err(refused(format!(
                        "categories `{}` are not up to {MAX_LIST} arXiv categories such as cs.CL or math, \
                         separated by commas",
                        shown(text)
                    )));
                }
                _ => list(&self.categories, "categories", |item| {
                    matches(CATEGORY, item)
                        .then_some(())
                        .ok_or_else(|| format!("`{item}` is not an arXiv category such as cs.CL or math"))
                })?,
            },
            include_keywords: list(&self.include_keywords, "include keywords", keyword)?,
            exclude_keywords: list(&self.exclude_keywords, "exclude keywords", keyword)?,
            mode: one_of::<ModeName>(&self.mode, "mode")?,
            papers_per_email: whole(&self.papers_per_email, "papers_per_email", 1, i64::from(MAX_PAPERS))?,
        })
    }
}

fn refused(message: String) -> AppError {
    AppError::BadRequest(format!("settings: {message}"))
}

/// A value, at most 40 characters of it, for messages.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    text.chars().take(40).collect()
}

/// The name, if it is one of `T`'s.
fn one_of<T: serde::de::DeserializeOwned + JsonSchema>(
    value: &Option<Value>,
    field: &str,
) -> Result<Option<Input>, AppError> {
    match value {
        None => Ok(None),
        Some(Value::String(name)) if variant::<T>(name).is_some() => Ok(Some(Input::Text(name.clone()))),
        Some(other) => Err(refused(format!("{field} `{}` is not one of {}", shown(other), names::<T>()))),
    }
}

fn whole(value: &Option<Value>, field: &str, min: i64, max: i64) -> Result<Option<Input>, AppError> {
    let Some(value) = value else { return Ok(None) };
    match value.as_number().and_then(whole_number) {
        Some(number) if (min..=max).contains(&number) => Ok(Some(Input::Number(number))),
        _ => Err(refused(format!("{field} `{}` is not a whole number from {min} to {max}", shown(value)))),
    }
}

fn list(
    value: &Option<Value>,
    field: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<Option<Input>, AppError> {
    let Some(value) = value else { return Ok(None) };
    let Value::Array(items) = value else {
        return Err(refused(format!("{field} must be a list of text")));
    };
    if items.len() > MAX_LIST {
        return Err(refused(format!("{field}: at most {MAX_LIST}, not {}", items.len())));
    }
    let mut texts = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(text) = item else {
            return Err(refused(format!("{field}: `{}` is not text", shown(item))));
        };
        check(text).map_err(|message| refused(format!("{field}: {message}")))?;
        texts.push(text.clone());
    }
    Ok(Some(Input::List(texts)))
}

fn keyword(text: &str) -> Result<(), String> {
    if text.chars().any(char::is_control) {
        return Err(format!("keyword `{}` holds a control character", text.escape_default()));
    }
    if text.chars().count() > MAX_KEYWORD_CHARS || !matches(KEYWORD, text) {
        return Err(format!(
            "keyword `{text}` must have at most {MAX_KEYWORD_CHARS} characters and no white space at either end"
        ));
    }
    Ok(())
}

/// What subscribing answered.
pub enum Subscribed {
    /// An address: the confirmation (or a note) is on its way, whatever the address.
    Asked,
    /// The token's account: subscribed at once.
    Member(Box<SubscriptionJson>),
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Asked")]
pub struct AskedJson {
    /// `confirmation_sent`.
    status: &'static str,
    message: &'static str,
}

impl IntoResponse for Subscribed {
    fn into_response(self) -> axum::response::Response {
        match self {
            Subscribed::Asked => {
                let asked = AskedJson { status: "confirmation_sent", message: CHECK_INBOX };
                (StatusCode::ACCEPTED, Json(asked)).into_response()
            }
            Subscribed::Member(json) => Json(*json).into_response(),
        }
    }
}

impl OperationOutput for Subscribed {
    type Inner = SubscriptionJson;

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, Response)> {
        let mut member = Json::<SubscriptionJson>::operation_response(ctx, operation);
        let mut asked = Json::<AskedJson>::operation_response(ctx, operation);
        if let Some(member) = member.as_mut() {
            member.description = "With an API token: the account is subscribed.".into();
        }
        if let Some(asked) = asked.as_mut() {
            asked.description =
                "An address: the confirmation is on its way, unless one was sent a few minutes ago; \
                                 the same answer whatever the address."
                    .into();
        }
        [(200, member), (202, asked)].into_iter().filter_map(|(status, r)| Some((Some(status), r?))).collect()
    }
}

/// `POST /api/subscriptions`.
pub async fn subscribe(
    State(app): State<App>,
    viewer: Viewer,
    MaybeApiUser(user): MaybeApiUser,
    Body(body): Body<SettingsBody>,
) -> Result<Subscribed, AppError> {
    let email = body.email()?;
    let changes = body.changes()?;
    if let Some(user) = user {
        if email.is_some_and(|email| !email.eq_ignore_ascii_case(&user.email)) {
            return Err(AppError::Conflict(
                "with an API token, the subscription is the account's: leave email out".into(),
            ));
        }
        let subscription = app.core.subscriptions().subscribe_member(&user, &changes).await?;
        return Ok(Subscribed::Member(Box::new(to_json(&app, subscription).await?)));
    }
    let Some(email) = email else {
        return Err(AppError::Unauthorized(
            "email is required (or an API token, to subscribe its account)".into(),
        ));
    };
    app.core.subscriptions().ask(viewer.address, email, &changes).await?;
    Ok(Subscribed::Asked)
}

pub fn subscribe_docs(op: TransformOperation) -> TransformOperation {
    op.id("subscribe")
        .summary("Subscribe to the digest")
        .description(
            "With an email and no token: double opt-in, as the site's form (202, the same answer whatever the \
             address). With an API token: the token's account, at once (200).",
        )
        .with(|op| {
            errors(
                op,
                &[
                    (401, "Neither an email nor an API token was sent."),
                    (409, "With an API token, the subscription is the account's: leave email out."),
                    (429, "Too many requests to subscribe from this address."),
                ],
            )
        })
}

/// The subscription `?token=` or the API token names; 404 (the same for every bad token) or
/// 401 without either.
async fn current(app: &App, user: Option<&User>, params: &TokenQuery) -> Result<Subscription, AppError> {
    if let Some(token) = &params.token {
        return app.core.subscriptions().open(token).await?.ok_or_else(|| {
            AppError::NotFound("this subscription token is not valid: use the link from a digest".into())
        });
    }
    let Some(user) = user else {
        return Err(AppError::Unauthorized(
            "name the subscription with ?token= (from a digest's links) or an API token".into(),
        ));
    };
    app.core
        .subscriptions()
        .of_member(user)
        .await?
        .ok_or_else(|| AppError::NotFound("this account has no subscription: POST /api/subscriptions".into()))
}

/// What naming a subscription can be refused for.
const CURRENT_REFUSALS: &[(u16, &str)] = &[
    (401, "Neither `?token=` nor an API token was sent."),
    (404, "The token opens no subscription, or the account has none."),
];

/// `GET /api/subscriptions/current`.
pub async fn show(
    State(app): State<App>,
    MaybeApiUser(user): MaybeApiUser,
    Params(params): Params<TokenQuery>,
) -> Result<Json<SubscriptionJson>, AppError> {
    let subscription = current(&app, user.as_ref(), &params).await?;
    Ok(Json(to_json(&app, subscription).await?))
}

pub fn show_docs(op: TransformOperation) -> TransformOperation {
    op.id("showSubscription").summary("A subscription").with(|op| errors(op, CURRENT_REFUSALS))
}

/// `PATCH /api/subscriptions/current`: the fields sent replace the current settings.
pub async fn change(
    State(app): State<App>,
    MaybeApiUser(user): MaybeApiUser,
    Params(params): Params<TokenQuery>,
    Body(SettingsPatch(body)): Body<SettingsPatch>,
) -> Result<Json<SubscriptionJson>, AppError> {
    if body.email.is_some() {
        return Err(AppError::BadRequest(
            "the address of a subscription cannot change: subscribe the new one".into(),
        ));
    }
    let subscription = current(&app, user.as_ref(), &params).await?;
    let prefs = subscription.prefs.with(&body.changes()?).map_err(AppError::BadRequest)?;
    let saved = app.core.db.set_preferences(subscription.id, &prefs).await?;
    Ok(Json(to_json(&app, saved).await?))
}

pub fn change_docs(op: TransformOperation) -> TransformOperation {
    op.id("changeSubscription")
        .summary("Change a subscription's settings")
        .description("The address of a subscription never changes: to move it, subscribe the new one.")
        .with(|op| errors(op, CURRENT_REFUSALS))
}

/// `DELETE /api/subscriptions/current`: unsubscribes; repeating it changes nothing.
pub async fn end(
    State(app): State<App>,
    MaybeApiUser(user): MaybeApiUser,
    Params(params): Params<TokenQuery>,
) -> Result<Json<SubscriptionJson>, AppError> {
    let subscription = current(&app, user.as_ref(), &params).await?;
    app.core.db.unsubscribe(subscription.id, "API").await?;
    let ended = app.core.db.subscription(subscription.id).await?.unwrap_or(subscription);
    Ok(Json(to_json(&app, ended).await?))
}

pub fn end_docs(op: TransformOperation) -> TransformOperation {
    op.id("unsubscribe").summary("Unsubscribe").with(|op| errors(op, CURRENT_REFUSALS))
}
