//! The SQLite plumbing the two ACM management lists share (`repo`, the replication list,
//! and `backup_repo`, the backup list): the busy timeout, the error naming the file, the
//! schema check by `user_version`, and the read and write transactions. Each list keeps
//! its own schema, types, queries and way of opening its file.

use crate::error::{EternusError, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a command waits for another one holding the list (`ARRAYSYNC_ACM_BUSY_MS`,
/// 10 s by default).
fn busy_timeout() -> Duration {
    let ms = std::env::var("ARRAYSYNC_ACM_BUSY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    Duration::from_millis(ms)
}

/// An SQLite error as a repository error naming `path`; `corrupt` says what to do about a
/// file that is not a valid database (each list has its own way back).
pub(crate) fn error(path: &Path, e: rusqlite::Error, corrupt: &str) -> EternusError {
    let message = match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::DatabaseBusy
                || f.code == rusqlite::ErrorCode::DatabaseLocked =>
        {
            "locked by another process (busy)".to_string()
        }
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::NotADatabase
                || f.code == rusqlite::ErrorCode::DatabaseCorrupt =>
        {
            format!("corrupt (not a valid database); {corrupt}")
        }
        other => other.to_string(),
    };
    EternusError::Repository {
        path: path.display().to_string(),
        message,
    }
}

/// A list's schema and how its version is checked.
pub(crate) struct Schema {
    /// The `CREATE ... IF NOT EXISTS` statements.
    pub sql: &'static str,
    /// The `user_version` the schema is stamped with.
    pub version: i64,
    /// What an existing file with no schema (`user_version` 0) is, when it may not be
    /// created there; `None`: it is refused as an unsupported version like any other.
    pub unstamped: Option<&'static str>,
}

/// An open list: its connection, its file, and its advice for a corrupt file.
pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
    corrupt: &'static str,
}

impl Store {
    /// Takes `conn`, open on `path`, waits [`busy_timeout`] for a busy list, and checks the
    /// schema: created (in one immediate transaction) when the file has none and `create`
    /// allows it, otherwise it must be `schema`'s version.
    pub fn ready(
        conn: Connection,
        path: &Path,
        corrupt: &'static str,
        schema: &Schema,
        create: bool,
    ) -> Result<Store> {
        conn.busy_timeout(busy_timeout())
            .map_err(|e| error(path, e, corrupt))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            corrupt,
        };
        store.check_schema(schema, create)?;
        Ok(store)
    }

    fn check_schema(&self, schema: &Schema, create: bool) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version == schema.version {
            return Ok(());
        }
        let refuse = |message: String| EternusError::Repository {
            path: self.path.display().to_string(),
            message,
        };
        if version == 0 && !create {
            if let Some(message) = schema.unstamped {
                // An existing file without our schema: truncated or not ours. Never rewrite it.
                return Err(refuse(message.to_string()));
            }
        }
        if version != 0 || !create {
            return Err(refuse(format!(
                "schema version {version} is not supported (expected {})",
                schema.version
            )));
        }
        self.conn
            .execute_batch(&format!(
                "BEGIN IMMEDIATE; {} PRAGMA user_version = {}; COMMIT;",
                schema.sql, schema.version
            ))
            .map_err(|e| self.err(e))
    }

    pub fn err(&self, e: rusqlite::Error) -> EternusError {
        error(&self.path, e, self.corrupt)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one immediate (write-locking) transaction, committed only on `Ok`.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>, &Path) -> Result<T>) -> Result<T> {
        let (path, corrupt) = (&self.path, self.corrupt);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| error(path, e, corrupt))?;
        let value = f(&tx, path)?;
        tx.commit().map_err(|e| error(path, e, corrupt))?;
        Ok(value)
    }

    /// Runs `f` in one read transaction.
    pub fn read<T>(&mut self, f: impl FnOnce(&Transaction<'_>, &Path) -> Result<T>) -> Result<T> {
        let (path, corrupt) = (&self.path, self.corrupt);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|e| error(path, e, corrupt))?;
        f(&tx, path)
    }

    /// Proves the list can be written now (not locked, not read-only, disk not full for a
    /// small write) by running `probe` in an immediate transaction and rolling it back.
    pub fn check_writable(&mut self, probe: &str) -> Result<()> {
        let (path, corrupt) = (&self.path, self.corrupt);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| error(path, e, corrupt))?;
        tx.execute(probe, []).map_err(|e| error(path, e, corrupt))?;
        tx.rollback().map_err(|e| error(path, e, corrupt))
    }
}

/// The value of `key` in a list's `meta` table (both lists keep one).
pub(crate) fn meta(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Sets `key` to `value` in a list's `meta` table.
pub(crate) fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema {
        sql: "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        version: 3,
        unstamped: Some("no schema here"),
    };

    fn open(path: &Path, schema: &Schema, create: bool) -> Result<Store> {
        let conn = Connection::open(path).map_err(|e| error(path, e, "fix it"))?;
        Store::ready(conn, path, "fix it", schema, create)
    }

    #[test]
    fn a_file_without_schema_is_stamped_only_when_allowed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let err = open(&path, &SCHEMA, false).err().expect("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "replication management list {}: no schema here",
                path.display()
            )
        );
        let quiet = Schema {
            unstamped: None,
            ..SCHEMA
        };
        let err = open(&path, &quiet, false)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("schema version 0 is not supported (expected 3)"),
            "{err}"
        );
        let mut store = open(&path, &SCHEMA, true).expect("created");
        store
            .write(|tx, _| {
                tx.execute("INSERT INTO meta VALUES ('k', 'v')", [])
                    .map(|_| ())
                    .map_err(|e| error(&path, e, ""))
            })
            .expect("write");
        drop(store);
        let mut store = open(&path, &SCHEMA, false).expect("reopened");
        let value: String = store
            .read(|tx, _| {
                tx.query_row("SELECT value FROM meta", [], |r| r.get(0))
                    .map_err(|e| error(&path, e, ""))
            })
            .expect("read");
        assert_eq!(value, "v");
        let newer = Schema {
            version: 4,
            ..SCHEMA
        };
        let err = open(&path, &newer, true)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("schema version 3 is not supported (expected 4)"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_write_and_a_writability_check_leave_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let mut store = open(&path, &SCHEMA, true).expect("created");
        let failed: Result<()> = store.write(|tx, _| {
            tx.execute("INSERT INTO meta VALUES ('k', 'v')", [])
                .map_err(|e| error(&path, e, ""))?;
            Err(EternusError::Refused("no".into()))
        });
        assert!(failed.is_err());
        store
            .check_writable("INSERT INTO meta VALUES ('probe', 'x')")
            .expect("writable");
        let count: i64 = store
            .read(|tx, _| {
                tx.query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
                    .map_err(|e| error(&path, e, ""))
            })
            .expect("read");
        assert_eq!(count, 0);
    }

    #[test]
    fn a_corrupt_file_names_the_file_and_the_way_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        std::fs::write(&path, vec![b'x'; 4096]).expect("write");
        let err = open(&path, &SCHEMA, true).err().expect("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "replication management list {}: corrupt (not a valid database); fix it",
                path.display()
            )
        );
    }
}
