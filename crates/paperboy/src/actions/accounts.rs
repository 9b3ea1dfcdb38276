//! What visitors do with accounts: sign up, sign in with a password, ask for a link by email
//! (to confirm, to sign in, to choose a new password), use it, and make API tokens.
//!
//! No answer tells whether an email address has an account: signing up, asking for a sign-in
//! link and asking for a reset succeed the same whatever the address, and what differs goes
//! into the email, which only the address's owner reads. Failed sign-ins are throttled per
//! address and per email, whether or not the email has an account, and a sign-in with an unknown
//! email spends the time of a password check. Forms' CSRF tokens are the HTTP layer's concern.

use std::net::IpAddr;

use chrono::Duration;

use paperboy_arxiv::paper::check_link;

use crate::db::Db;
use crate::db::users::{Profile, SignUp, User};
use crate::domain::accounts::{Email, LinkPurpose, UserName, check_password};
use crate::domain::secrets::{self, Secret};
use crate::error::AppError;
use crate::mail::{LinkEmail, Mail, Outbox};
use crate::quota::{Quotas, email_key};

/// How long a link that confirms an address works.
pub const CONFIRM_HOURS: i64 = 48;
/// How long a link to choose a new password works.
const RESET_MINUTES: i64 = 60;
/// How long a sign-in link works.
const LOGIN_MINUTES: i64 = 30;
/// Longest API token name.
pub const TOKEN_NAME_CHARS: usize = 60;

/// What account actions work with: the database, the quotas, and where account emails go (with
/// the site's address, which their links start with).
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'a> {
    pub db: &'a Db,
    pub quotas: &'a Quotas,
    pub outbox: &'a Outbox,
    pub base_url: &'a str,
}

/// A form field read as `T`, with `T`'s message when it does not parse.
fn field<T: std::str::FromStr<Err = String>>(value: Option<&str>) -> Result<T, AppError> {
    value.unwrap_or_default().parse::<T>().map_err(AppError::BadRequest)
}

/// Hashes a password off the async threads: argon2id takes tens of milliseconds on purpose.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|_| AppError::Internal("password hashing stopped".into()))?
        .map_err(|err| AppError::Internal(err.to_string()))
}

impl Accounts<'_> {
    /// Signs up from `client`: a new unconfirmed account with a confirmation link mailed to it,
    /// or, for an address with an account, an email that says so. Answers the address either
    /// way.
    pub async fn sign_up(
        &self,
        client: IpAddr,
        name: Option<&str>,
        email: Option<&str>,
        password: Option<&str>,
    ) -> Result<Email, AppError> {
        self.quotas.sign_up.within(client, "sign-up").await?;
        let name: UserName = field(name)?;
        let email: Email = field(email)?;
        let password = password.unwrap_or_default().to_owned();
        check_password(&password).map_err(AppError::BadRequest)?;
        let hash = hash_password(password).await?;
        match self.db.sign_up(&name, &email, &hash).await? {
            SignUp::NameTaken => Err(AppError::Conflict(format!("the name {name} is taken: choose another"))),
            SignUp::Created(user) => {
                self.send_link(&user, LinkPurpose::Confirm).await?;
                Ok(email)
            }
            SignUp::EmailTaken(user) if !user.confirmed => {
                self.send_link(&user, LinkPurpose::Confirm).await?;
                Ok(email)
            }
            SignUp::EmailTaken(user) => {
                let mail = self.mail(
                    &user,
                    "Your Paperboy account",
                    "Someone tried to create a Paperboy account with this address,\n\
                     which has one already. To sign in without your password, or to\n\
                     choose a new one, use this page:",
                    &format!("{}/login", self.base_url),
                    "If it was not you, nothing has changed.",
                )?;
                self.outbox.send_or_log(&mail, "an account email").await;
                Ok(email)
            }
        }
    }

    /// Checks a password sign-in from `client`: the account, if the password is its own and its
    /// address is confirmed (an unconfirmed one gets a new confirmation link).
    pub async fn log_in(
        &self,
        client: IpAddr,
        email: Option<&str>,
        password: Option<&str>,
    ) -> Result<User, AppError> {
        self.quotas.login.within(client, "sign-in").await?;
        let email: Email = field(email)?;
        self.quotas.login_email.within(email_key(email.as_str()), "sign-in").await?;
        let password = password.unwrap_or_default().to_owned();
        let account = self.db.user_for_login(&email).await?;
        let verified = tokio::task::spawn_blocking(move || match account {
            Some((user, Some(hash))) => secrets::verify_password(&password, &hash).then_some(user),
            _ => {
                secrets::verify_nothing(&password);
                None
            }
        })
        .await
        .map_err(|_| AppError::Internal("password check stopped".into()))?;
        match verified {
            Some(user) if user.confirmed => Ok(user),
            Some(user) => {
                self.send_link(&user, LinkPurpose::Confirm).await?;
                Err(AppError::Forbidden("confirm your email address first: we sent you a new link".into()))
            }
            None => Err(AppError::Unauthorized("wrong email or password".into())),
        }
    }

    /// Mails a link for `purpose` (signing in, a new password) to `email` if it has an account;
    /// answers the address either way.
    pub async fn mail_link(
        &self,
        client: IpAddr,
        email: Option<&str>,
        purpose: LinkPurpose,
    ) -> Result<Email, AppError> {
        self.quotas.email_link.within(client, "email link").await?;
        let email: Email = field(email)?;
        if let Some(user) = self.db.user_by_email(&email).await? {
            self.send_link(&user, purpose).await?;
        }
        Ok(email)
    }

    /// Creates a link for `purpose` and mails it to `user`, within the quota per address.
    pub async fn send_link(&self, user: &User, purpose: LinkPurpose) -> Result<(), AppError> {
        let (lifetime, subject, lead, after) = match purpose {
            LinkPurpose::Confirm => (
                Duration::hours(CONFIRM_HOURS),
                "Confirm your Paperboy account",
                "Welcome to Paperboy. Open this link to confirm your email address:",
                "It works once, for 48 hours.",
            ),
            LinkPurpose::Reset => (
                Duration::minutes(RESET_MINUTES),
                "Choose a new Paperboy password",
                "Open this link to choose a new password:",
                "It works once, for an hour. Your password stays as it is until\nyou choose a new one.",
            ),
            LinkPurpose::Login => (
                Duration::minutes(LOGIN_MINUTES),
                "Your Paperboy sign-in link",
                "Open this link to sign in to Paperboy:",
                "It works once, for 30 minutes.",
            ),
        };
        if self.quotas.email_link_to.within(email_key(&user.email), "email").await.is_err() {
            tracing::warn!(user = %user.name, "emailed-link quota reached for this address; no email sent");
            return Ok(());
        }
        let secret = self.db.create_link(user.id, purpose, lifetime).await?;
        let link = format!("{}/links/{}?token={}", self.base_url, purpose.as_str(), secret.expose());
        let mail = self.mail(user, subject, lead, &link, after)?;
        self.outbox.send_or_log(&mail, "an account email").await;
        Ok(())
    }

    /// Uses up an emailed link and answers its account; a reset link sets `new_password`, checked
    /// before the link is used, so that a short one costs no link.
    pub async fn use_link(
        &self,
        token: &str,
        purpose: LinkPurpose,
        new_password: Option<&str>,
    ) -> Result<User, AppError> {
        let secret = Secret::from_client(token);
        let new_hash = match purpose {
            LinkPurpose::Reset => {
                let password = new_password.unwrap_or_default().to_owned();
                check_password(&password).map_err(AppError::BadRequest)?;
                Some(hash_password(password).await?)
            }
            _ => None,
        };
        let user = self.db.use_link(&secret, purpose).await?;
        if let Some(hash) = new_hash {
            self.db.set_password(user.id, &hash).await?;
        }
        Ok(user)
    }

    fn mail(
        &self,
        user: &User,
        subject: &str,
        lead: &str,
        link: &str,
        after: &str,
    ) -> Result<Mail, AppError> {
        let to = user.email.parse::<Email>().map_err(AppError::Internal)?;
        let email = LinkEmail { name: Some(&user.name), lead, link, after, base_url: self.base_url };
        email.to(to, subject).map_err(|err| AppError::Internal(err.to_string()))
    }
}

/// A new API token for `user`, named after what uses it; shown once.
pub async fn create_token(db: &Db, user: &User, name: &str) -> Result<Secret, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(format!(
            "give the token a name of 1 to {TOKEN_NAME_CHARS} characters, such as the script that uses it"
        )));
    }
    Ok(db.create_api_token(user.id, name).await?.1)
}

/// The longest bio a member may set.
pub const MAX_BIO_CHARS: usize = 500;

/// The most links a profile shows.
pub const MAX_PROFILE_LINKS: usize = 5;

/// Checks and stores `user`'s bio (plain text, line breaks kept) and links (one absolute
/// http(s) address a line, as the form sends them).
pub async fn set_profile(db: &Db, user: &User, bio: &str, links: &str) -> Result<Profile, AppError> {
    let bio = bio.trim().replace("\r\n", "\n");
    if bio.chars().count() > MAX_BIO_CHARS || bio.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::BadRequest(format!(
            "a bio has at most {MAX_BIO_CHARS} characters, and no control characters but line breaks"
        )));
    }
    let links: Vec<String> = links
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            check_link("link", Some(line.to_owned()))
                .map_err(|invalid| AppError::BadRequest(invalid.to_string()))
                .map(Option::unwrap_or_default)
        })
        .collect::<Result<_, _>>()?;
    if links.len() > MAX_PROFILE_LINKS {
        return Err(AppError::BadRequest(format!("a profile shows at most {MAX_PROFILE_LINKS} links")));
    }
    let profile = Profile { bio, links };
    db.set_profile(user.id, &profile).await?;
    Ok(profile)
}
