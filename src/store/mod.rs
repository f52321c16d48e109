//! The one store interface, on SQLite or PostgreSQL.
//!
//! Why sqlx's `Any` driver and not a trait with two implementations: the
//! schema and every query are written once in the portable subset of SQL both
//! engines share (`$n` placeholders, BIGINT times, `ON CONFLICT`, `RETURNING`),
//! so the two backends cannot drift apart, and the same test suite exercises
//! the same code on both. Queries are runtime-checked (`sqlx::query`), which
//! keeps the build independent of a live database.

mod alexa;
mod alexa_links;
mod alexa_skills;
mod cache;
mod catalog;
mod clients;
mod columns;
mod failures;
mod findings;
mod grants;
mod inspector;
mod keys;
mod library;
mod player;
mod refresh;
mod search;
mod sessions;
mod toolbox;
mod users;
mod writer;

pub use alexa::{AlexaEvent, AlexaLink, AlexaUser, FlowEntry, LinkAttempt};
pub use alexa_skills::StoredSkill;
pub use catalog::{
    AlbumRecord, ArtistRecord, NewAlbum, NewArtist, NewCatalog, NewTrack, Slice, TrackRecord,
};
pub use clients::{Client, RefreshPolicy};
pub use failures::ThrottleStep;
pub use findings::FlowFinding;
pub use grants::{
    new_grant_id, CodeRecord, CodeRedemption, Grant, LinkedApp, NewCode, PendingCode, Redeemed,
    RefreshRecord,
};
pub use inspector::{InspectorFilter, InspectorRecord};
pub use keys::StoredKey;
pub use library::{LibrarySeed, NewPlaylist, PlaylistEntry, PlaylistRecord};
pub use player::{DeviceRecord, HistoryWindow, NewDevice, NewPlay, PlayRecord, PlaybackRecord};
pub use sessions::{Session, SignedIn};
pub use toolbox::{LiveGrant, ScenarioRecord};
pub use users::{NewUser, User};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Every SQLite connection's settings: WAL lets readers run beside the one
/// writer; busy_timeout makes writers queue instead of failing with
/// "database is locked".
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                              PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::BadUrl(format!(
                "unsupported DATABASE_URL '{}': use sqlite:<file> or postgres://…",
                redact_url(url)
            )))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot reach the database at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    /// From the SQLite writer's own statements (`writer`).
    #[error("database unavailable: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// How long a request waits for a connection before the database counts as
/// unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    kind: DatabaseKind,
    cache: cache::ReadCache,
    /// SQLite allows one writer at a time; see `write_gate`.
    writes: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite's hot writes (rotations, codes), committed in groups (see `writer`).
    writer: writer::Writer,
}

impl Store {
    /// Connects (creating a SQLite file if missing). Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let kind = DatabaseKind::of(url)?;
        let url = match kind {
            DatabaseKind::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let connect_err = |source| StoreError::Connect {
            url: redact_url(&url),
            source,
        };
        let options = AnyConnectOptions::from_str(&url).map_err(connect_err)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match kind {
                DatabaseKind::Sqlite => 8,
                DatabaseKind::Postgres => 16,
            })
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings a connection before lending it out, and again when it
            // comes back. On SQLite the connection is a thread of this process
            // that cannot be lost, so the first ping is only a wasted round
            // trip on every query (issue 8). PostgreSQL keeps it: a connection
            // that died while idle is replaced instead of failing a request.
            .test_before_acquire(kind == DatabaseKind::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == DatabaseKind::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(connect_err)?;
        let writes: std::sync::Arc<tokio::sync::Mutex<()>> = Default::default();
        Ok(Self {
            writer: writer::Writer::new(kind, options, pool.clone(), writes.clone()),
            pool,
            kind,
            cache: Default::default(),
            writes,
        })
    }

    /// Applies pending migrations.
    /// Applies the pending migrations; returns how many there were (another
    /// instance starting at the same moment may have applied some of them).
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let before = self.applied_migrations().await?;
        MIGRATOR.run(&self.pool).await?;
        let after = self.applied_migrations().await?;
        Ok(after.saturating_sub(before))
    }

    /// How many migrations the database has applied (0 on a fresh one).
    async fn applied_migrations(&self) -> Result<usize, StoreError> {
        use sqlx::migrate::Migrate;
        let mut conn = self.pool.acquire().await?;
        conn.ensure_migrations_table().await?;
        Ok(conn.list_applied_migrations().await?.len())
    }

    /// True when the database answers and every known migration is applied.
    pub async fn ready(&self) -> Result<bool, StoreError> {
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok(applied as usize >= MIGRATOR.iter().count())
    }

    /// On SQLite, write transactions of this process queue here, in order,
    /// instead of in SQLite's busy handler, which sleeps 1 to 100 ms between
    /// retries: under 64 concurrent refreshes it slept 1,800 times in 3 s
    /// (strace), and the refresh p99 was 80 ms (issue 8). Other processes on
    /// the same file still meet `busy_timeout`. PostgreSQL needs no gate.
    pub(crate) async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.kind {
            DatabaseKind::Sqlite => Some(self.writes.lock().await),
            DatabaseKind::Postgres => None,
        }
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the store: the grouped writer first (it commits and answers
    /// what is queued, then its thread ends), then the pool.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await
    }
}

/// A URL with any password replaced by `***`, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Lowercase hex SHA-256, the at-rest form of every secret we store.
pub fn digest(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in hash {
        use std::fmt::Write;
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://u:hunter2@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite:mocklink.db"), "sqlite:mocklink.db");
    }

    #[test]
    fn rejects_unknown_schemes() {
        assert!(DatabaseKind::of("mysql://x").is_err());
        assert_eq!(
            DatabaseKind::of("sqlite::memory:").unwrap(),
            DatabaseKind::Sqlite
        );
        assert_eq!(
            DatabaseKind::of("postgresql://h/db").unwrap(),
            DatabaseKind::Postgres
        );
    }
}
