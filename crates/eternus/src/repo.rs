//! The replication management list: SQLite (bundled) at
//! `/etc/opt/FJSVswsrp/data/DEFAULT/replication.db`. Every command works in one
//! transaction, so a refused or failed command changes nothing. Schema in docs/eternus.md.

use crate::device::Volume;
use crate::error::{EternusError, Result};
use crate::sqlite::{Schema, Store};
use arraysync_core::Paths;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::{Path, PathBuf};

pub const REPOSITORY: &str = "/etc/opt/FJSVswsrp/data/DEFAULT/replication.db";

const SCHEMA: Schema = Schema {
    sql: SCHEMA_SQL,
    version: 1,
    unstamped: Some(
        "truncated or not a replication management list (no schema); \
         restore it from a backup (swsrprecoverres) or remove it",
    ),
};

/// What to do about a corrupt file (the tail of its error message).
const CORRUPT: &str = "restore it from a backup or remove it and re-register the pairs";

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    server TEXT NOT NULL, device TEXT NOT NULL, array TEXT NOT NULL, box_id TEXT NOT NULL,
    volume INTEGER NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (server, device));
CREATE TABLE IF NOT EXISTS groups (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS pairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    orig_server TEXT NOT NULL, orig_device TEXT NOT NULL, orig_array TEXT NOT NULL,
    orig_box TEXT NOT NULL, orig_volume INTEGER NOT NULL, orig_size INTEGER NOT NULL,
    rep_server TEXT NOT NULL, rep_device TEXT NOT NULL, rep_array TEXT NOT NULL,
    rep_box TEXT NOT NULL, rep_volume INTEGER NOT NULL, rep_size INTEGER NOT NULL,
    copy TEXT NOT NULL CHECK (copy IN ('bi-direction', 'uni-direction')),
    op_server TEXT NOT NULL CHECK (op_server IN ('original', 'replica', 'both')),
    group_name TEXT REFERENCES groups(name),
    last_made INTEGER,
    UNIQUE (orig_server, orig_device, rep_server, rep_device));
CREATE INDEX IF NOT EXISTS pairs_group ON pairs(group_name);
";

/// Copy direction attribute of a pair (`-u`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyDirection {
    Bidirectional,
    Unidirectional,
}

impl CopyDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            CopyDirection::Bidirectional => "bi-direction",
            CopyDirection::Unidirectional => "uni-direction",
        }
    }
}

/// The operation server(s) of an inter-server pair (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpServer {
    Original,
    Replica,
    Both,
}

impl OpServer {
    pub fn as_str(self) -> &'static str {
        match self {
            OpServer::Original => "original",
            OpServer::Replica => "replica",
            OpServer::Both => "both",
        }
    }

    fn parse(text: &str) -> OpServer {
        match text {
            "original" => OpServer::Original,
            "replica" => OpServer::Replica,
            _ => OpServer::Both,
        }
    }
}

/// One registered pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub id: i64,
    pub orig: Volume,
    pub rep: Volume,
    pub copy: CopyDirection,
    pub op_server: OpServer,
    pub group: Option<String>,
    /// Unix seconds of the last replica made by this tool (OPC sessions vanish once copied).
    pub last_made: Option<i64>,
}

impl Pair {
    pub fn label(&self) -> String {
        format!("{},{}", self.orig.qualified(), self.rep.qualified())
    }
}

/// An open repository; every public method is one transaction.
pub struct Repository {
    store: Store,
}

impl Repository {
    pub fn path(paths: &Paths) -> PathBuf {
        paths.under_root(REPOSITORY)
    }

    /// Opens the repository for every command that does not configure pairs: a missing
    /// repository reads as "nothing registered" (an empty in-memory one; nothing is
    /// created on disk), a 0-byte, truncated or foreign file is an error naming the file,
    /// left untouched (issue 8: never silently recreated).
    pub fn open(paths: &Paths) -> Result<Repository> {
        Self::open_existing_at(&Self::path(paths))
    }

    /// Opens the repository for a configuring command (`swsrpsetvol`): created, with its
    /// directories (mode 0755) and mode 0644, when absent; otherwise as [`Repository::open`].
    pub fn create_or_open(paths: &Paths) -> Result<Repository> {
        Self::open_at(&Self::path(paths))
    }

    /// [`Repository::create_or_open`] at an explicit path.
    pub fn open_at(path: &Path) -> Result<Repository> {
        if std::fs::symlink_metadata(path).is_ok() {
            return Self::open_existing_at(path);
        }
        if let Some(dir) = path.parent() {
            arraysync_core::safefs::create_dir_all(dir).map_err(|e| EternusError::io(dir, e))?;
        }
        let fail = |e: rusqlite::Error| db_error(path, e);
        let conn = Connection::open(path).map_err(fail)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                path,
                std::fs::Permissions::from_mode(arraysync_core::safefs::FILE_MODE),
            )
            .map_err(|e| EternusError::io(path, e))?;
        }
        Self::ready(conn, path, true)
    }

    /// [`Repository::open`] at an explicit path.
    pub fn open_existing_at(path: &Path) -> Result<Repository> {
        let bad = |message: String| EternusError::Repository {
            path: path.display().to_string(),
            message,
        };
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let conn = Connection::open_in_memory().map_err(|e| db_error(path, e))?;
                return Self::ready(conn, path, true);
            }
            Err(e) => return Err(EternusError::io(path, e)),
        };
        if !meta.is_file() {
            return Err(bad(
                "not a regular file (a symbolic link?), refusing it".into()
            ));
        }
        if meta.len() == 0 {
            return Err(bad(
                "empty file (0 bytes): the registrations are lost; restore it from a backup \
                 (swsrprecoverres) or remove it and register the pairs again"
                    .into(),
            ));
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(path, e))?;
        Self::ready(conn, path, false)
    }

    fn ready(conn: Connection, path: &Path, new: bool) -> Result<Repository> {
        let store = Store::ready(conn, path, CORRUPT, &SCHEMA, new)?;
        Ok(Repository { store })
    }

    /// Runs `f` in one immediate (write-locking) transaction, committed only on `Ok`.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.store.write(|tx, path| f(&Tx { tx, path }))
    }

    /// Check first, then act (issue 8): proves the repository can be written now (not
    /// locked, not read-only, disk not full for a small write) by making a write and
    /// rolling it back. Commands that change the array call it before touching it.
    pub fn check_writable(&mut self) -> Result<()> {
        self.store
            .check_writable("INSERT OR REPLACE INTO meta (key, value) VALUES ('write_check', 'ok')")
    }

    /// Runs `f` in one read transaction.
    pub fn read<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.store.read(|tx, path| f(&Tx { tx, path }))
    }
}

fn db_error(path: &Path, e: rusqlite::Error) -> EternusError {
    crate::sqlite::error(path, e, CORRUPT)
}

/// A transaction on the repository.
pub struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    path: &'a Path,
}

const PAIR_COLUMNS: &str = "id, orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size, \
    rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name, last_made";

fn pair_row(r: &Row<'_>) -> rusqlite::Result<Pair> {
    let volume = |at: usize| -> rusqlite::Result<Volume> {
        Ok(Volume {
            server: r.get(at)?,
            device: r.get(at + 1)?,
            array: r.get(at + 2)?,
            box_id: r.get(at + 3)?,
            number: r.get(at + 4)?,
            size: u64::try_from(r.get::<_, i64>(at + 5)?).unwrap_or(0),
        })
    };
    // Read in place, not as Strings: two allocations a row fewer over 10,000 pairs.
    let text = |at: usize| -> rusqlite::Result<&str> {
        r.get_ref(at)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    let copy = text(13)?;
    let copy = if copy == "uni-direction" {
        CopyDirection::Unidirectional
    } else {
        CopyDirection::Bidirectional
    };
    let op_server = OpServer::parse(text(14)?);
    Ok(Pair {
        id: r.get(0)?,
        orig: volume(1)?,
        rep: volume(7)?,
        copy,
        op_server,
        group: r.get(15)?,
        last_made: r.get(16)?,
    })
}

fn size(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Tx<'_> {
    fn err(&self, e: rusqlite::Error) -> EternusError {
        db_error(self.path, e)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        crate::sqlite::meta(self.tx, key).map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        crate::sqlite::set_meta(self.tx, key, value).map_err(|e| self.err(e))
    }

    pub fn device(&self, server: &str, device: &str) -> Result<Option<Volume>> {
        self.tx
            .query_row(
                "SELECT server, device, array, box_id, volume, size FROM devices WHERE server = ?1 AND device = ?2",
                [server, device],
                |r| {
                    Ok(Volume {
                        server: r.get(0)?,
                        device: r.get(1)?,
                        array: r.get(2)?,
                        box_id: r.get(3)?,
                        number: r.get(4)?,
                        size: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Replaces the collected device table.
    pub fn replace_devices(&self, volumes: &[Volume]) -> Result<()> {
        self.tx
            .execute("DELETE FROM devices", [])
            .map_err(|e| self.err(e))?;
        let mut insert = self
            .tx
            .prepare("INSERT OR REPLACE INTO devices(server, device, array, box_id, volume, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(|e| self.err(e))?;
        for v in volumes {
            insert
                .execute(params![
                    v.server,
                    v.device,
                    v.array,
                    v.box_id,
                    v.number,
                    size(v.size)
                ])
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn pairs_where(&self, clause: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Pair>> {
        let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs {clause} ORDER BY id");
        let mut statement = self.tx.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = statement
            .query_map(args, pair_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    pub fn pairs(&self) -> Result<Vec<Pair>> {
        self.pairs_where("", &[])
    }

    /// Pairs whose original volume is `server:device`.
    pub fn pairs_of_original(&self, server: &str, device: &str) -> Result<Vec<Pair>> {
        self.pairs_where(
            "WHERE orig_server = ?1 AND orig_device = ?2",
            &[&server, &device],
        )
    }

    /// Pairs in which the volume appears, on either side.
    pub fn pairs_with(&self, server: &str, device: &str) -> Result<Vec<Pair>> {
        self.pairs_where(
            "WHERE (orig_server = ?1 AND orig_device = ?2) OR (rep_server = ?1 AND rep_device = ?2)",
            &[&server, &device],
        )
    }

    pub fn group_pairs(&self, group: &str) -> Result<Vec<Pair>> {
        self.pairs_where("WHERE group_name = ?1", &[&group])
    }

    pub fn group_exists(&self, group: &str) -> Result<bool> {
        self.tx
            .query_row("SELECT 1 FROM groups WHERE name = ?1", [group], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    pub fn insert_pair(&self, pair: &Pair) -> Result<i64> {
        if let Some(group) = &pair.group {
            self.tx
                .execute("INSERT OR IGNORE INTO groups(name) VALUES (?1)", [group])
                .map_err(|e| self.err(e))?;
        }
        self.tx
            .execute(
                "INSERT INTO pairs(orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size, \
                 rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    pair.orig.server, pair.orig.device, pair.orig.array, pair.orig.box_id, pair.orig.number, size(pair.orig.size),
                    pair.rep.server, pair.rep.device, pair.rep.array, pair.rep.box_id, pair.rep.number, size(pair.rep.size),
                    pair.copy.as_str(), pair.op_server.as_str(), pair.group,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Deletes a pair, and its group when it was the last member.
    pub fn delete_pair(&self, pair: &Pair) -> Result<()> {
        self.tx
            .execute("DELETE FROM pairs WHERE id = ?1", [pair.id])
            .map_err(|e| self.err(e))?;
        if let Some(group) = &pair.group {
            self.tx
                .execute("DELETE FROM groups WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM pairs WHERE group_name = ?1)", [group])
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Records `when` as the last make of every pair of `pair_ids`: one statement per 500
    /// pairs (a group's make is one point in time), not one per pair.
    pub fn set_last_made(&self, pair_ids: &[i64], when: i64) -> Result<()> {
        for chunk in pair_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("UPDATE pairs SET last_made = ? WHERE id IN ({marks})");
            let values = std::iter::once(when).chain(chunk.iter().copied());
            self.tx
                .execute(&sql, rusqlite::params_from_iter(values))
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(server: &str, device: &str, number: u32) -> Volume {
        Volume {
            server: server.into(),
            device: device.into(),
            array: "DX1".into(),
            box_id: "BOX".into(),
            number,
            size: 1 << 30,
        }
    }

    fn pair(orig: Volume, rep: Volume, group: Option<&str>) -> Pair {
        Pair {
            id: 0,
            orig,
            rep,
            copy: CopyDirection::Bidirectional,
            op_server: OpServer::Both,
            group: group.map(str::to_string),
            last_made: None,
        }
    }

    #[test]
    fn pairs_round_trip_and_groups_follow_their_members() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut repo = Repository::open_at(&dir.path().join("r.db")).expect("opens");
        repo.write(|tx| {
            tx.insert_pair(&pair(
                volume("SV", "/dev/hdisk10", 0),
                volume("SV", "/dev/hdisk20", 1),
                Some("G1"),
            ))?;
            tx.insert_pair(&pair(
                volume("SV", "/dev/hdisk11", 2),
                volume("SV", "/dev/hdisk21", 3),
                Some("G1"),
            ))
        })
        .expect("insert");
        let pairs = repo.read(|tx| tx.group_pairs("G1")).expect("read");
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].orig.device, "/dev/hdisk10");
        repo.write(|tx| tx.delete_pair(&pairs[0])).expect("delete");
        assert!(repo.read(|tx| tx.group_exists("G1")).expect("read"));
        repo.write(|tx| tx.delete_pair(&pairs[1])).expect("delete");
        assert!(!repo.read(|tx| tx.group_exists("G1")).expect("read"));
    }

    #[test]
    fn failed_transaction_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut repo = Repository::open_at(&dir.path().join("r.db")).expect("opens");
        let result: Result<()> = repo.write(|tx| {
            tx.insert_pair(&pair(
                volume("SV", "/dev/a", 0),
                volume("SV", "/dev/b", 1),
                None,
            ))?;
            Err(EternusError::Refused("no".into()))
        });
        assert!(result.is_err());
        assert!(repo.read(|tx| tx.pairs()).expect("read").is_empty());
    }

    #[test]
    fn missing_repository_reads_empty_and_creates_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data/DEFAULT/r.db");
        let mut repo = Repository::open_existing_at(&path).expect("opens");
        assert!(repo.read(|tx| tx.pairs()).expect("read").is_empty());
        assert!(!dir.path().join("data").exists(), "created something");
    }

    #[test]
    fn empty_or_truncated_repository_is_an_error_and_left_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.db");
        std::fs::write(&path, b"").expect("write");
        for open in [Repository::open_existing_at, Repository::open_at] {
            let err = open(&path).err().expect("fails").to_string();
            assert!(err.contains("0 bytes") && err.contains("r.db"), "{err}");
            assert_eq!(std::fs::metadata(&path).expect("stat").len(), 0);
        }
        // A valid database file without our schema (e.g. cut after its header page).
        drop(Connection::open(&path).and_then(|c| c.execute_batch("CREATE TABLE x (a);")));
        let before = std::fs::read(&path).expect("read");
        let err = Repository::open_existing_at(&path).err().expect("fails");
        assert!(err.to_string().contains("truncated"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.db");
        std::fs::write(&path, vec![b'x'; 4096]).expect("write");
        let err = Repository::open_at(&path).err().expect("fails");
        assert!(err.to_string().contains("corrupt"), "{err}");
    }
}
