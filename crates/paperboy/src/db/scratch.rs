//! Throw-away PostgreSQL databases for tests and benchmarks: each gets a fresh, uniquely named
//! database on a server, dropped afterwards, so runs never share state.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};

use super::DbError;

/// A database created on a PostgreSQL server for one test or benchmark run.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin: PgConnectOptions,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates an empty database on the server `server_url` points at (any existing database
    /// there serves to connect). `label` goes into the name, to tell leftovers apart.
    pub async fn create(server_url: &str, label: &str) -> Result<ScratchDatabase, DbError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let admin = PgConnectOptions::from_str(server_url)?;
        let nanos = chrono::Utc::now().timestamp_subsec_nanos();
        let name = format!(
            "paperboy_{label}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect_with(&admin).await?;
        // The name is ours (letters, digits, underscores), never input.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await?;
        conn.close().await?;
        let url = admin.clone().database(&name).to_url_lossy().to_string();
        Ok(ScratchDatabase { admin, name, url })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, disconnecting whoever is still connected.
    pub async fn drop_database(&self) -> Result<(), DbError> {
        let mut conn = PgConnection::connect_with(&self.admin).await?;
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    }
}
