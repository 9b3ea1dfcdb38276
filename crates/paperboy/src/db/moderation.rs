//! Moderation: roles, hiding papers and comments, editing a paper's links, and the audit log
//! every such action writes, in the same transaction as the action itself.

use chrono::{DateTime, Utc};
use paperboy_arxiv::ArxivId;

use super::users::User;
use super::{Db, DbError, copy_paper_to_entry, set_clock, take_clock, with_pool};
use crate::domain::accounts::Role;

/// One line of the audit log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The actor's name at the time, or `cli` for the command line.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// Appends to the audit log inside the transaction `$tx`.
macro_rules! audit {
    ($tx:ident, $actor:expr, $action:expr, $target:expr, $detail:expr) => {{
        let actor: Option<&User> = $actor;
        sqlx::query("INSERT INTO audit_log (at, actor_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Utc::now())
            .bind(actor.map(|user| user.id))
            .bind(actor.map_or("cli", |user| user.name.as_str()))
            .bind($action)
            .bind($target)
            .bind($detail)
            .execute(&mut *$tx)
            .await?;
    }};
}

impl Db {
    /// Gives `user` a role; `actor` is `None` for the command line.
    pub async fn grant(&self, actor: Option<&User>, user: &User, role: Role) -> Result<(), DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            audit!(tx, actor, "grant", user.name.as_str(), format!("role {} → {role}", user.role));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Hides a paper from feeds, search and listings, or shows it again. False when the paper
    /// is not stored or already in that state.
    pub async fn set_paper_hidden(
        &self,
        actor: &User,
        id: &ArxivId,
        hidden: bool,
        reason: &str,
    ) -> Result<bool, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let sql = if hidden {
                "UPDATE papers SET hidden_at = $1 WHERE id = $2 AND hidden_at IS NULL"
            } else {
                "UPDATE papers SET hidden_at = NULL WHERE id = $2 AND hidden_at IS NOT NULL AND $1 IS NOT NULL"
            };
            let changed =
                sqlx::query(sql).bind(now).bind(id.as_str()).execute(&mut *tx).await?.rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            copy_paper_to_entry!(tx, id.as_str());
            let action = if hidden { "hide_paper" } else { "show_paper" };
            audit!(tx, Some(actor), action, id.as_str(), reason.to_owned());
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Sets a paper's GitHub repository and project page (`None` clears one). False when the
    /// paper is not stored.
    pub async fn set_paper_links(
        &self,
        actor: &User,
        id: &ArxivId,
        github_repo: Option<&str>,
        project_page: Option<&str>,
    ) -> Result<bool, DbError> {
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            // A new clock number, so what follows the catalog's changes (the stars job's
            // repositories, the search index) sees the edit.
            let changed = sqlx::query(
                "UPDATE papers SET github_repo = $1, project_page = $2, change_seq = $3 WHERE id = $4",
            )
            .bind(github_repo)
            .bind(project_page)
            .bind(seq)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            let detail = format!(
                "githubRepo {}, projectPage {}",
                github_repo.unwrap_or("(none)"),
                project_page.unwrap_or("(none)")
            );
            audit!(tx, Some(actor), "edit_links", id.as_str(), detail);
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The latest `limit` moderation actions, newest first.
    pub async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, DbError> {
        Ok(with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?
        }))
    }
}

pub(crate) use audit;
