//! PostgreSQL: schemas, migrations and connections.
//!
//! Read models of one generation live in one schema; the live generation is [`ACTIVE_SCHEMA`].
//! Connections name their schema in `search_path`, so a query written without a schema reads
//! whichever generation is live, and `ecites replay` swaps generations by renaming schemas.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};
use std::str::FromStr;

/// The live read models.
pub const ACTIVE_SCHEMA: &str = "ecites_rm";
/// The generation `ecites replay` is building.
pub const NEXT_SCHEMA: &str = "ecites_rm_next";
/// The verbatim archive of every event (never rebuilt by replay).
pub const ARCHIVE_SCHEMA: &str = "ecites_archive";
/// The Merkle tree over each stream, its signed heads and their co-signatures.
pub const TREE_SCHEMA: &str = "ecites_tree";

const SCHEMA_LOCK_KEY: i64 = 0x6563_6974_0000;

pub static READ_MODELS: Migrator = sqlx::migrate!("./migrations/read_models");
pub static ARCHIVE: Migrator = sqlx::migrate!("./migrations/archive");
pub static TREE: Migrator = sqlx::migrate!("./migrations/tree");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL {0:?} is not valid: {1}")]
    Url(String, String),
    #[error("PostgreSQL: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migrating schema {0}: {1}")]
    Migrate(String, sqlx::migrate::MigrateError),
}

/// A pool whose connections resolve unqualified names in `schema` (then `public`).
pub async fn pool(url: &str, schema: &str, max: u32) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| DbError::Url(redact(url), e.to_string()))?
        .options([("search_path", schema)]);
    Ok(PgPoolOptions::new()
        .max_connections(max)
        .connect_with(options)
        .await?)
}

/// A pool like [`pool`] that connects on first use (the schema may not exist yet at start).
pub fn pool_lazy(url: &str, schema: &str, max: u32) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| DbError::Url(redact(url), e.to_string()))?
        .options([("search_path", schema)]);
    Ok(PgPoolOptions::new()
        .max_connections(max)
        .connect_lazy_with(options))
}

/// Creates `schema` if needed and brings it to the latest migration of `migrator`.
pub async fn migrate(url: &str, schema: &str, migrator: &Migrator) -> Result<(), DbError> {
    let admin = pool(url, "public", 1).await?;
    // Two instances starting together must not race on creating the schema.
    let mut tx = admin.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SCHEMA_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    tx.execute(format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)?).as_str())
        .await?;
    tx.commit().await?;
    admin.close().await;
    let pool = pool(url, schema, 1).await?;
    migrator
        .run(&pool)
        .await
        .map_err(|e| DbError::Migrate(schema.into(), e))?;
    pool.close().await;
    Ok(())
}

/// Creates a database on the server of `url` and returns the URL naming it (tests: one
/// database each).
pub async fn create_database(url: &str, name: &str) -> Result<String, DbError> {
    let admin = pool(url, "public", 1).await?;
    admin
        .execute(format!("CREATE DATABASE {}", ident(name)?).as_str())
        .await?;
    admin.close().await;
    Ok(with_database(url, name))
}

fn with_database(url: &str, name: &str) -> String {
    // Replace the path component (the database) and keep user, host, port and parameters.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A quoted identifier, refusing anything but lower-case letters, digits and `_`.
pub fn ident(name: &str) -> Result<String, DbError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(format!("\"{name}\""))
    } else {
        Err(DbError::Url(
            name.into(),
            "schema and database names are lower-case letters, digits and _".into(),
        ))
    }
}

/// The URL without its password, for error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.into(),
            }
        }
        _ => url.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_replaced_in_url() {
        assert_eq!(
            with_database(
                "postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable",
                "t1"
            ),
            "postgres://u:p@127.0.0.1:5433/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@localhost:5432", "t2"),
            "postgres://u@localhost:5432/t2"
        );
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(ident("ecites_rm").is_ok());
        assert!(ident("x; drop").is_err());
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
