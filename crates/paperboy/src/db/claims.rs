//! Authorship claims: a member's "this is me" on a paper's author entry, or on every paper under
//! a name (later ones too), and a curator's verdict, written to the audit log in the same
//! transaction. Pages and the API show verified claims only ([`Db::claimed_authors`]): a claim
//! of one paper wins over a claim of the name, and of two verified claims of a name the first
//! verified wins.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use paperboy_arxiv::ArxivId;

use super::moderation::audit;
use super::users::User;
use super::{Db, DbError, set_clock, take_clock, with_pool};
use crate::domain::Refusal;
use crate::domain::accounts::UserId;

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    Pending,
    Verified,
    Rejected,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Verified => "verified",
            ClaimStatus::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Result<ClaimStatus, DbError> {
        match text {
            "pending" => Ok(ClaimStatus::Pending),
            "verified" => Ok(ClaimStatus::Verified),
            "rejected" => Ok(ClaimStatus::Rejected),
            other => {
                Err(DbError::CorruptRow { id: "author_claims".into(), reason: format!("status {other}") })
            }
        }
    }
}

/// A claim, with the claimant's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: i64,
    pub user_id: UserId,
    pub user: String,
    /// The name as written on the paper it was claimed from.
    pub name: String,
    pub author_key: String,
    /// `None`: every paper under the name.
    pub paper_id: Option<String>,
    pub status: ClaimStatus,
    pub filings: i64,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    user_id: UserId,
    user_name: String,
    name: String,
    author_key: String,
    paper_id: Option<String>,
    status: String,
    filings: i64,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
}

const CLAIM_SELECT: &str = "SELECT c.id, c.user_id, u.name AS user_name, c.name, c.author_key, c.paper_id, \
     c.status, c.filings, c.created_at, c.decided_at FROM author_claims c JOIN users u ON u.id = c.user_id";

impl TryFrom<ClaimRow> for Claim {
    type Error = DbError;

    fn try_from(row: ClaimRow) -> Result<Claim, DbError> {
        Ok(Claim {
            id: row.id,
            user_id: row.user_id,
            user: row.user_name,
            name: row.name,
            author_key: row.author_key,
            paper_id: row.paper_id,
            status: ClaimStatus::parse(&row.status)?,
            filings: row.filings,
            created_at: row.created_at,
            decided_at: row.decided_at,
        })
    }
}

/// A verified author of a paper: their place in its author list and their member name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedAuthor {
    pub position: usize,
    pub user: String,
    pub verified_at: DateTime<Utc>,
}

/// What [`Db::file_claim`] claims: the author called `name` (folded to `key`) on `paper`, or
/// every paper under that name.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    pub paper: &'a ArxivId,
    pub name: &'a str,
    pub key: &'a str,
    pub all_papers: bool,
}

impl Db {
    /// Files `user`'s claim, or files a rejected one again (once). Refused when the paper
    /// lists no such author, someone else is its verified author, or the claim exists already.
    pub async fn file_claim(&self, user: &User, request: ClaimRequest<'_>) -> Result<i64, DbError> {
        let ClaimRequest { paper, name, key, all_papers } = request;
        let scope = (!all_papers).then_some(paper.as_str());
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE id = $1")
                .bind(paper.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if exists == 0 {
                return Err(Refusal::NoSuchPaper(paper.to_string()).into());
            }
            let listed: Option<i64> = sqlx::query_scalar(
                "SELECT position FROM paper_authors WHERE paper_id = $1 AND author_key = $2 LIMIT 1",
            )
            .bind(paper.as_str())
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if listed.is_none() {
                let name: String = name.chars().take(100).collect();
                return Err(Refusal::NotAnAuthor { id: paper.to_string(), name }.into());
            }
            let taken: Option<String> = sqlx::query_scalar(
                "SELECT u.name FROM author_claims c JOIN users u ON u.id = c.user_id \
                 WHERE c.author_key = $1 AND c.status = 'verified' AND c.user_id <> $2 \
                 AND (c.paper_id = $3 OR c.paper_id IS NULL) LIMIT 1",
            )
            .bind(key)
            .bind(user.id)
            .bind(paper.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(by) = taken {
                return Err(Refusal::ClaimTaken { by }.into());
            }
            let own: Option<(i64, String, i64)> = sqlx::query_as(
                "SELECT id, status, filings FROM author_claims WHERE user_id = $1 AND author_key = $2 \
                 AND (paper_id = $3 OR (paper_id IS NULL AND $3 IS NULL))",
            )
            .bind(user.id)
            .bind(key)
            .bind(scope)
            .fetch_optional(&mut *tx)
            .await?;
            let id = match own {
                Some((id, status, filings)) => match ClaimStatus::parse(&status)? {
                    ClaimStatus::Rejected if filings < 2 => {
                        sqlx::query(
                            "UPDATE author_claims SET status = 'pending', filings = filings + 1, name = $1, \
                             created_at = $2, decided_at = NULL, decided_by = NULL WHERE id = $3",
                        )
                        .bind(name)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        id
                    }
                    ClaimStatus::Rejected => return Err(Refusal::ClaimRejectedTwice.into()),
                    status => return Err(Refusal::ClaimExists(status.as_str()).into()),
                },
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO author_claims (user_id, author_key, name, paper_id, status, filings, created_at) \
                         VALUES ($1, $2, $3, $4, 'pending', 1, $5) RETURNING id",
                    )
                    .bind(user.id)
                    .bind(key)
                    .bind(name)
                    .bind(scope)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            tx.commit().await?;
            Ok(id)
        })
    }

    /// A curator's verdict on a pending claim, audit-logged. Refused for a claim of their own,
    /// one decided already, or one whose entry another member is now the verified author of.
    pub async fn decide_claim(&self, curator: &User, id: i64, verify: bool) -> Result<Claim, DbError> {
        let now = Utc::now();
        let claim: Claim = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let sql = format!("{CLAIM_SELECT} WHERE c.id = $1");
            let row: Option<ClaimRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *tx).await?;
            let claim = Claim::try_from(row.ok_or(Refusal::NoSuchClaim)?)?;
            if claim.status != ClaimStatus::Pending {
                return Err(Refusal::ClaimDecided(claim.status.as_str()).into());
            }
            if claim.user_id == curator.id {
                return Err(Refusal::OwnClaim.into());
            }
            if verify {
                let taken: Option<String> = sqlx::query_scalar(
                    "SELECT u.name FROM author_claims c JOIN users u ON u.id = c.user_id \
                     WHERE c.author_key = $1 AND c.status = 'verified' AND c.user_id <> $2 \
                     AND (c.paper_id = $3 OR (c.paper_id IS NULL AND $3 IS NULL)) LIMIT 1",
                )
                .bind(&claim.author_key)
                .bind(claim.user_id)
                .bind(claim.paper_id.as_deref())
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(by) = taken {
                    return Err(Refusal::ClaimTaken { by }.into());
                }
            }
            let status = if verify { ClaimStatus::Verified } else { ClaimStatus::Rejected };
            let seq = take_clock!(tx) + 1;
            sqlx::query(
                "UPDATE author_claims SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(now)
            .bind(curator.id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let target = claim.paper_id.clone().unwrap_or_else(|| format!("author {}", claim.name));
            let scope = if claim.paper_id.is_some() { "this paper" } else { "every paper under the name" };
            let detail = format!("claim {id}: {} as {} ({scope})", claim.user, claim.name);
            let action = if verify { "verify_claim" } else { "reject_claim" };
            audit!(tx, Some(curator), action, target, detail);
            set_clock!(tx, seq);
            tx.commit().await?;
            Claim { status, decided_at: Some(now), ..claim }
        });
        Ok(claim)
    }

    /// Claims waiting for a curator, oldest first, at most `limit`.
    pub async fn pending_claims(&self, limit: u32) -> Result<Vec<Claim>, DbError> {
        let sql = format!("{CLAIM_SELECT} WHERE c.status = 'pending' ORDER BY c.created_at, c.id LIMIT $1");
        self.claims(sql, None, limit).await
    }

    /// `user`'s claims, newest first, at most `limit`.
    pub async fn claims_of(&self, user: UserId, limit: u32) -> Result<Vec<Claim>, DbError> {
        let sql =
            format!("{CLAIM_SELECT} WHERE c.user_id = $2 ORDER BY c.created_at DESC, c.id DESC LIMIT $1");
        self.claims(sql, Some(user), limit).await
    }

    async fn claims(&self, sql: String, user: Option<UserId>, limit: u32) -> Result<Vec<Claim>, DbError> {
        let rows: Vec<ClaimRow> = with_pool!(self, |pool, DB| {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(i64::from(limit));
            match user {
                Some(user) => query.bind(user).fetch_all(pool).await?,
                None => query.fetch_all(pool).await?,
            }
        });
        rows.into_iter().map(Claim::try_from).collect()
    }

    /// The verified authors of the papers `ids`, by paper id: a claim of the paper first, then
    /// the first verified claim of the name.
    pub async fn claimed_authors(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<ClaimedAuthor>>, DbError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, i64, String, DateTime<Utc>)> = with_pool!(self, |pool, DB| {
            let mut sql = sqlx::QueryBuilder::<DB>::new(
                "SELECT a.paper_id, a.position, u.name, c.decided_at FROM paper_authors a \
                 JOIN author_claims c ON c.author_key = a.author_key AND c.status = 'verified' \
                 AND (c.paper_id = a.paper_id OR c.paper_id IS NULL) \
                 JOIN users u ON u.id = c.user_id WHERE a.paper_id IN (",
            );
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(id.as_str());
            }
            sql.push(") ORDER BY c.paper_id IS NULL, c.decided_at, c.id");
            sql.build_query_as().fetch_all(pool).await?
        });
        let mut claimed: HashMap<String, Vec<ClaimedAuthor>> = HashMap::new();
        for (paper, position, user, verified_at) in rows {
            let authors = claimed.entry(paper).or_default();
            let position = position.max(0) as usize;
            if !authors.iter().any(|a| a.position == position) {
                authors.push(ClaimedAuthor { position, user, verified_at });
            }
        }
        Ok(claimed)
    }
}

impl Db {
    /// The ids of the papers `user` is a verified author of, newest announced first, `limit`
    /// from `offset`.
    pub async fn claimed_paper_ids(
        &self,
        user: UserId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<String>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "SELECT p.id FROM papers p WHERE p.hidden_at IS NULL AND p.id IN ( \
                   SELECT c.paper_id FROM author_claims c WHERE c.user_id = $1 AND c.status = 'verified' AND c.paper_id IS NOT NULL \
                   UNION SELECT a.paper_id FROM paper_authors a JOIN author_claims c ON c.author_key = a.author_key \
                   WHERE c.user_id = $1 AND c.status = 'verified' AND c.paper_id IS NULL) \
                 ORDER BY p.announce_date DESC, p.id DESC LIMIT $2 OFFSET $3",
            )
            .bind(user)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?
        }))
    }
}
