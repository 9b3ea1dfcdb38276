//! Accounts, sessions, emailed links, personal API tokens, and the bio and links of a profile.
//!
//! Secrets are looked up by their SHA-256 ([`Secret::hash`]); the database never holds one a
//! client could present. A session, link or token is valid only for a confirmed account, and
//! an emailed link works once, before it expires.

use chrono::{DateTime, Duration, Utc};

use super::{Db, DbError, set_clock, take_clock, with_pool};
use crate::domain::Refusal;
use crate::domain::accounts::{Email, LinkError, LinkPurpose, Role, UserId, UserName};
use crate::domain::secrets::Secret;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// One of the demo data set's made-up people.
    pub is_demo: bool,
    pub confirmed: bool,
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    name: String,
    email: String,
    role: String,
    is_demo: bool,
    email_confirmed_at: Option<DateTime<Utc>>,
    password_hash: Option<String>,
    created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.email, u.role, u.is_demo, u.email_confirmed_at, u.password_hash, u.created_at";

impl UserRow {
    fn into_user(self) -> Result<(User, Option<String>), DbError> {
        let role = self
            .role
            .parse::<Role>()
            .map_err(|reason| DbError::CorruptRow { id: self.name.clone(), reason })?;
        let user = User {
            id: self.id,
            name: self.name,
            email: self.email,
            role,
            is_demo: self.is_demo,
            confirmed: self.email_confirmed_at.is_some(),
            has_password: self.password_hash.is_some(),
            created_at: self.created_at,
        };
        Ok((user, self.password_hash))
    }
}

/// What a sign-up did.
#[derive(Debug)]
pub enum SignUp {
    /// A new, unconfirmed account.
    Created(User),
    /// The email has an account already: confirmed, or still waiting for its link, in which
    /// case it took the new name and password (the latest sign-up wins; only the mailbox's
    /// owner can confirm it).
    EmailTaken(User),
    /// Another account has that name.
    NameTaken,
}

/// What a member's activity adds up to, for their overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberTotals {
    /// Papers they are the verified author of, and the upvotes those papers have.
    pub papers: i64,
    pub upvotes_received: i64,
    /// Upvotes they gave.
    pub votes: i64,
    /// Comments they wrote that are neither deleted nor hidden.
    pub comments: i64,
    pub submissions: i64,
    pub public_collections: i64,
}

/// What a member says of themselves on their profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub bio: String,
    pub links: Vec<String>,
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf_token: String,
}

/// A personal API token as its owner sees it in a list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A value to find one account by.
enum Lookup<'a> {
    Id(UserId),
    Text(&'a str),
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf_token: String,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(flatten)]
    user: UserRow,
    token_id: i64,
    last_used_at: Option<DateTime<Utc>>,
}

/// How long an unused API token's "last used" time may lag: it is written at most this often.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

impl Db {
    /// Creates an unconfirmed account, or reports why not (see [`SignUp`]).
    pub async fn sign_up(
        &self,
        name: &UserName,
        email: &Email,
        password_hash: &str,
    ) -> Result<SignUp, DbError> {
        enum Outcome {
            Created(UserId),
            EmailTaken(UserId),
            NameTaken,
        }
        let now = Utc::now();
        let outcome = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // Either unique index may refuse the row; which one did is looked up afterwards.
            let inserted: Option<UserId> = sqlx::query_scalar(
                "INSERT INTO users (name, email, password_hash, role, email_confirmed_at, created_at) \
                 VALUES ($1, $2, $3, 'user', NULL, $4) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(name.as_str())
            .bind(email.as_str())
            .bind(password_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = if let Some(id) = inserted {
                Outcome::Created(id)
            } else {
                let existing: Option<(UserId, Option<DateTime<Utc>>)> =
                    sqlx::query_as("SELECT id, email_confirmed_at FROM users WHERE email = $1")
                        .bind(email.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                match existing {
                    None => Outcome::NameTaken,
                    Some((id, Some(_))) => Outcome::EmailTaken(id),
                    Some((id, None)) => {
                        let renamed = sqlx::query(
                            "UPDATE users SET name = $1, password_hash = $2 WHERE id = $3 \
                             AND NOT EXISTS (SELECT 1 FROM users o WHERE lower(o.name) = lower($1) AND o.id <> $3)",
                        )
                        .bind(name.as_str())
                        .bind(password_hash)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        if renamed.rows_affected() == 0 {
                            Outcome::NameTaken
                        } else {
                            Outcome::EmailTaken(id)
                        }
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        let user = |id| async move {
            self.user_by_id(id).await?.ok_or_else(|| DbError::CorruptRow {
                id: format!("user {}", id.0),
                reason: "the account vanished while signing up".into(),
            })
        };
        Ok(match outcome {
            Outcome::Created(id) => SignUp::Created(user(id).await?),
            Outcome::EmailTaken(id) => SignUp::EmailTaken(user(id).await?),
            Outcome::NameTaken => SignUp::NameTaken,
        })
    }

    /// Creates a confirmed account with `role` at once: the command line's and the demo's way.
    /// Returns `None` when the email or name is taken.
    pub async fn create_user(
        &self,
        name: &UserName,
        email: &Email,
        password_hash: Option<&str>,
        role: Role,
        is_demo: bool,
    ) -> Result<Option<User>, DbError> {
        let now = Utc::now();
        let id: Option<UserId> = with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "INSERT INTO users (name, email, password_hash, role, is_demo, email_confirmed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(name.as_str())
            .bind(email.as_str())
            .bind(password_hash)
            .bind(role.as_str())
            .bind(is_demo)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        match id {
            Some(id) => self.user_by_id(id).await,
            None => Ok(None),
        }
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, DbError> {
        Ok(self.fetch_user("u.id = $1", Lookup::Id(id)).await?.map(|(user, _)| user))
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, DbError> {
        Ok(self.fetch_user("u.email = $1", Lookup::Text(email.as_str())).await?.map(|(user, _)| user))
    }

    /// The account named `name`, whatever the case.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, DbError> {
        Ok(self.fetch_user("lower(u.name) = lower($1)", Lookup::Text(name)).await?.map(|(user, _)| user))
    }

    /// The account and its password hash, for a login.
    pub async fn user_for_login(&self, email: &Email) -> Result<Option<(User, Option<String>)>, DbError> {
        self.fetch_user("u.email = $1", Lookup::Text(email.as_str())).await
    }

    async fn fetch_user(
        &self,
        condition: &str,
        value: Lookup<'_>,
    ) -> Result<Option<(User, Option<String>)>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE {condition}");
        let row: Option<UserRow> = with_pool!(self, |pool, DB| {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            let query = match value {
                Lookup::Id(id) => query.bind(id),
                Lookup::Text(text) => query.bind(text),
            };
            query.fetch_optional(pool).await?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// All accounts, oldest first.
    pub async fn list_users(&self) -> Result<Vec<User>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id");
        let rows: Vec<UserRow> =
            with_pool!(self, |pool, DB| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(|row| row.into_user().map(|(user, _)| user)).collect()
    }

    pub async fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            // A new password signs out every other browser.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Starts a session for `user`; the secret goes into the cookie.
    pub async fn create_session(&self, user: UserId, lifetime: Duration) -> Result<Secret, DbError> {
        let secret = Secret::generate("");
        let csrf = Secret::generate("");
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(secret.hash())
            .bind(user)
            .bind(csrf.expose())
            .bind(now)
            .bind(now + lifetime)
            .execute(pool)
            .await?;
        });
        Ok(secret)
    }

    /// The session a cookie names, if it is current and its account confirmed.
    pub async fn session(&self, cookie: &Secret) -> Result<Option<Session>, DbError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.email_confirmed_at IS NOT NULL"
        );
        let found: Option<SessionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(cookie.hash())
                .bind(Utc::now())
                .fetch_optional(pool)
                .await?
        });
        found.map(|row| Ok(Session { user: row.user.into_user()?.0, csrf_token: row.csrf_token })).transpose()
    }

    pub async fn delete_session(&self, cookie: &Secret) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(cookie.hash())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes expired sessions, and emailed links a day past their expiry (kept that long so
    /// that a late click still hears "expired" rather than "not valid"). Returns how many went.
    pub async fn prune_sessions(&self) -> Result<u64, DbError> {
        let now = Utc::now();
        Ok(with_pool!(self, |pool, DB| {
            let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let links = sqlx::query("DELETE FROM email_tokens WHERE expires_at < $1")
                .bind(now - Duration::days(1))
                .execute(pool)
                .await?
                .rows_affected();
            sessions + links
        }))
    }

    /// A fresh emailed link for `user`; earlier unused links for the same purpose stop working.
    pub async fn create_link(
        &self,
        user: UserId,
        purpose: LinkPurpose,
        lifetime: Duration,
    ) -> Result<Secret, DbError> {
        let secret = Secret::generate("");
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
                .bind(user)
                .bind(purpose.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO email_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(secret.hash())
            .bind(purpose.as_str())
            .bind(user)
            .bind(now)
            .bind(now + lifetime)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(secret)
    }

    /// The account an emailed link belongs to, if the link still works; uses nothing up.
    pub async fn check_link(&self, link: &Secret, purpose: LinkPurpose) -> Result<User, DbError> {
        let state: Option<(UserId, DateTime<Utc>, Option<DateTime<Utc>>)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT user_id, expires_at, used_at FROM email_tokens WHERE token_hash = $1 AND purpose = $2")
                .bind(link.hash())
                .bind(purpose.as_str())
                .fetch_optional(pool)
                .await?
        });
        let user_id = match link_state(state, Utc::now()) {
            Ok(user_id) => user_id,
            Err(err) => return Err(Refusal::Link(err).into()),
        };
        self.user_by_id(user_id).await?.ok_or(Refusal::Link(LinkError::Unknown).into())
    }

    /// Uses up an emailed link, atomically: of two requests with the same link, one wins. A
    /// confirmation link confirms the address; any link proves it, so it confirms it too.
    pub async fn use_link(&self, link: &Secret, purpose: LinkPurpose) -> Result<User, DbError> {
        let now = Utc::now();
        let user_id = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let state: Option<(UserId, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT user_id, expires_at, used_at FROM email_tokens WHERE token_hash = $1 AND purpose = $2",
            )
            .bind(link.hash())
            .bind(purpose.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let user_id = match link_state(state, now) {
                Ok(user_id) => user_id,
                Err(err) => return Err(Refusal::Link(err).into()),
            };
            let used =
                sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
                    .bind(now)
                    .bind(link.hash())
                    .execute(&mut *tx)
                    .await?;
            if used.rows_affected() == 0 {
                return Err(Refusal::Link(LinkError::Used).into());
            }
            sqlx::query(
                "UPDATE users SET email_confirmed_at = $1 WHERE id = $2 AND email_confirmed_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            user_id
        });
        self.user_by_id(user_id).await?.ok_or(Refusal::Link(LinkError::Unknown).into())
    }

    /// A new personal API token named `name`; the secret is shown to its owner once.
    pub async fn create_api_token(&self, user: UserId, name: &str) -> Result<(i64, Secret), DbError> {
        let secret = Secret::generate("pb_");
        let prefix: String = secret.expose().chars().take(10).collect();
        let id: i64 = with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user)
            .bind(name)
            .bind(secret.hash())
            .bind(prefix)
            .bind(Utc::now())
            .fetch_one(pool)
            .await?
        });
        Ok((id, secret))
    }

    /// `user`'s tokens, newest first, revoked ones included.
    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens \
                 WHERE user_id = $1 ORDER BY id DESC",
            )
            .bind(user)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Revokes one of `user`'s tokens; false when it has no such token or it was revoked already.
    pub async fn revoke_api_token(&self, user: UserId, token: i64) -> Result<bool, DbError> {
        let done = with_pool!(self, |pool, DB| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(Utc::now())
            .bind(token)
            .bind(user)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// The account a bearer token belongs to, unless the token is unknown or revoked or the
    /// account unconfirmed. Notes when the token was last used, at most every few minutes.
    pub async fn api_token_user(&self, token: &Secret) -> Result<Option<User>, DbError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.email_confirmed_at IS NOT NULL"
        );
        let now = Utc::now();
        let found: Option<TokenRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(token.hash()).fetch_optional(pool).await?
        });
        let Some(row) = found else { return Ok(None) };
        if row.last_used_at.is_none_or(|at| now - at > LAST_USED_GRANULARITY) {
            with_pool!(self, |pool, DB| {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(row.token_id)
                    .execute(pool)
                    .await?;
            });
        }
        Ok(Some(row.user.into_user()?.0))
    }
}

fn link_state(
    state: Option<(UserId, DateTime<Utc>, Option<DateTime<Utc>>)>,
    now: DateTime<Utc>,
) -> Result<UserId, LinkError> {
    match state {
        None => Err(LinkError::Unknown),
        Some((_, _, Some(_))) => Err(LinkError::Used),
        Some((_, expires_at, None)) if expires_at <= now => Err(LinkError::Expired),
        Some((user_id, _, None)) => Ok(user_id),
    }
}

impl Db {
    /// What `user`'s activity adds up to. Hidden papers are not counted.
    pub async fn member_totals(&self, user: UserId) -> Result<MemberTotals, DbError> {
        // SUM of BIGINT is NUMERIC on PostgreSQL: cast back.
        let row: (i64, Option<i64>, i64, i64, i64, i64) = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(SUM(p.upvotes) AS BIGINT), \
                 (SELECT COUNT(*) FROM votes WHERE user_id = $1), \
                 (SELECT COUNT(*) FROM comments WHERE user_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL), \
                 (SELECT COUNT(*) FROM feed_entries f JOIN users u ON u.name = f.submitted_by WHERE u.id = $1), \
                 (SELECT COUNT(*) FROM collections WHERE user_id = $1 AND NOT private) \
                 FROM papers p WHERE p.hidden_at IS NULL AND p.id IN ( \
                   SELECT c.paper_id FROM author_claims c WHERE c.user_id = $1 AND c.status = 'verified' AND c.paper_id IS NOT NULL \
                   UNION SELECT a.paper_id FROM paper_authors a JOIN author_claims c ON c.author_key = a.author_key \
                   WHERE c.user_id = $1 AND c.status = 'verified' AND c.paper_id IS NULL)",
            )
            .bind(user)
            .fetch_one(pool)
            .await?
        });
        let (papers, upvotes_received, votes, comments, submissions, public_collections) = row;
        Ok(MemberTotals {
            papers,
            upvotes_received: upvotes_received.unwrap_or(0),
            votes,
            comments,
            submissions,
            public_collections,
        })
    }

    /// The bio and links `user` set.
    pub async fn profile(&self, user: UserId) -> Result<Profile, DbError> {
        let row: Option<(String, sqlx::types::Json<Vec<String>>)> = with_pool!(self, |pool, DB| {
            sqlx::query_as("SELECT bio, links FROM users WHERE id = $1")
                .bind(user)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(bio, links)| Profile { bio, links: links.0 }).unwrap_or_default())
    }

    /// Replaces `user`'s bio and links (checked by the caller). Moves the catalog clock, since
    /// cached profiles show them.
    pub async fn set_profile(&self, user: UserId, profile: &Profile) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            sqlx::query("UPDATE users SET bio = $1, links = $2 WHERE id = $3")
                .bind(profile.bio.as_str())
                .bind(sqlx::types::Json(&profile.links))
                .bind(user)
                .execute(&mut *tx)
                .await?;
            set_clock!(tx, seq);
            tx.commit().await?;
        });
        Ok(())
    }
}
