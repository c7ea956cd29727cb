//! The backup management list: SQLite (bundled) at
//! `/etc/opt/FJSVswsts/data/DEFAULT/backup.db`, apart from the replication list as ACM keeps
//! them. Every command works in one transaction, so a refused or failed command changes
//! nothing. Schema in docs/eternus-backup.md.
//!
//! What a backup volume (BV) is doing is recorded in two tables (spec §3.5):
//! - `history`: a generation of a transaction volume (TV) held by the BV, with the copy
//!   kind that made it (`opc`, `qopc` = QuickOPC, tracking kept; `ec`, session released;
//!   `ec-suspend`, session suspended);
//! - `bound`: a session with no history that keeps the BV bound to its TV: `sync` (EC
//!   executing or equivalent), `suspend` (used-S) or `tracking` (used-T).
//!
//! A BV in neither table is free.

use crate::error::{EternusError, Result};
use crate::sqlite::{Schema, Store};
use arraysync_core::Paths;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

pub const BACKUP_REPOSITORY: &str = "/etc/opt/FJSVswsts/data/DEFAULT/backup.db";

const SCHEMA: Schema = Schema {
    sql: SCHEMA_SQL,
    version: 1,
    unstamped: None,
};

/// What to do about a corrupt file (the tail of its error message).
const CORRUPT: &str = "restore it with swstresrst";

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS volumes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL UNIQUE, array TEXT NOT NULL, box_id TEXT NOT NULL,
    volume INTEGER NOT NULL, size INTEGER NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('transaction', 'backup')));
CREATE TABLE IF NOT EXISTS policies (
    device TEXT PRIMARY KEY REFERENCES volumes(device),
    interval_days INTEGER NOT NULL, save_number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tvs (
    device TEXT PRIMARY KEY, next_version INTEGER NOT NULL DEFAULT 1,
    last_backup INTEGER, exec_date INTEGER);
CREATE TABLE IF NOT EXISTS history (
    tv TEXT NOT NULL, version INTEGER NOT NULL, bv TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('opc', 'qopc', 'ec', 'ec-suspend')),
    date INTEGER NOT NULL, PRIMARY KEY (tv, version));
CREATE TABLE IF NOT EXISTS bound (
    bv TEXT PRIMARY KEY, tv TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sync', 'suspend', 'tracking')));
CREATE TABLE IF NOT EXISTS restores (
    tv TEXT NOT NULL, version INTEGER NOT NULL, bv TEXT NOT NULL, dest TEXT NOT NULL,
    dest_volume INTEGER NOT NULL, started INTEGER NOT NULL, PRIMARY KEY (tv, dest));
CREATE TABLE IF NOT EXISTS running (
    pid INTEGER NOT NULL, tv TEXT NOT NULL, command TEXT NOT NULL, started INTEGER NOT NULL,
    PRIMARY KEY (pid, tv));
";

/// Device-Mode of a registered volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Transaction,
    Backup,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Transaction => "transaction",
            Mode::Backup => "backup",
        }
    }
}

/// A registered TV or BV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupVolume {
    pub seq: i64,
    pub device: String,
    pub array: String,
    pub box_id: String,
    pub number: u32,
    pub size: u64,
    pub mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub interval_days: u32,
    pub save_number: u32,
}

/// How a history was made (decides what deleting it does to the BV, spec §3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Opc,
    QuickOpc,
    Ec,
    EcSuspend,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Opc => "opc",
            Kind::QuickOpc => "qopc",
            Kind::Ec => "ec",
            Kind::EcSuspend => "ec-suspend",
        }
    }

    fn parse(text: &str) -> Kind {
        match text {
            "qopc" => Kind::QuickOpc,
            "ec" => Kind::Ec,
            "ec-suspend" => Kind::EcSuspend,
            _ => Kind::Opc,
        }
    }
}

/// One generation of a TV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub tv: String,
    pub version: i64,
    pub bv: String,
    pub kind: Kind,
    /// Unix seconds.
    pub date: i64,
    /// The BV's volume number (read with the history, so displays need not load every
    /// volume); `None` when the BV is no longer registered.
    pub bv_number: Option<u32>,
}

/// A BV bound to a TV by a session without history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Sync,
    Suspend,
    Tracking,
}

impl Bound {
    fn as_str(self) -> &'static str {
        match self {
            Bound::Sync => "sync",
            Bound::Suspend => "suspend",
            Bound::Tracking => "tracking",
        }
    }

    fn parse(text: &str) -> Bound {
        match text {
            "suspend" => Bound::Suspend,
            "tracking" => Bound::Tracking,
            _ => Bound::Sync,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub bv: String,
    pub tv: String,
    pub kind: Bound,
}

/// A restore started by swstrestore; `dest` is empty for the TV itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub tv: String,
    pub version: i64,
    pub bv: String,
    pub dest: String,
    /// The destination's volume number (same array as the TV).
    pub dest_number: u32,
    pub started: i64,
}

/// Per-TV bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TvState {
    pub next_version: i64,
    pub last_backup: Option<i64>,
    pub exec_date: Option<i64>,
}

/// An open backup management list; every public method runs in one transaction.
pub struct BackupRepository {
    store: Store,
}

fn db_error(path: &Path, e: rusqlite::Error) -> EternusError {
    crate::sqlite::error(path, e, CORRUPT)
}

/// The list is a regular file (not a symbolic link or anything else) and not empty.
fn refuse_unless_regular(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| EternusError::io(path, e))?;
    let refuse = |message: &str| EternusError::Repository {
        path: path.display().to_string(),
        message: message.into(),
    };
    if !meta.is_file() {
        return Err(refuse("not a regular file (a symbolic link?), refusing it"));
    }
    if meta.len() == 0 {
        return Err(refuse(
            "empty file (0 bytes): the backup management list is lost; restore it with swstresrst",
        ));
    }
    Ok(())
}

impl BackupRepository {
    pub fn path(paths: &Paths) -> PathBuf {
        paths.under_root(BACKUP_REPOSITORY)
    }

    /// Opens (creating when absent) the list.
    pub fn open(paths: &Paths) -> Result<BackupRepository> {
        Self::open_at(&Self::path(paths))
    }

    /// Opens an existing list without creating anything (`None` when there is none):
    /// replication management uses it to refuse backup volumes.
    pub fn open_existing(paths: &Paths) -> Result<Option<BackupRepository>> {
        let path = Self::path(paths);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        Self::open_existing_at(&path).map(Some)
    }

    /// Opens an existing list file read-only (checks it is ours), never through a symbolic
    /// link.
    pub fn open_existing_at(path: &Path) -> Result<BackupRepository> {
        refuse_unless_regular(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(path, e))?;
        let store = Store::ready(conn, path, CORRUPT, &SCHEMA, false)?;
        Ok(BackupRepository { store })
    }

    /// Opens the list read-write, creating it (directories 0755, file 0644) when absent;
    /// an existing path must be a regular file holding the list (never opened through a
    /// symbolic link; a 0-byte or foreign file is an error, never silently recreated).
    pub fn open_at(path: &Path) -> Result<BackupRepository> {
        let exists = std::fs::symlink_metadata(path).is_ok();
        if exists {
            refuse_unless_regular(path)?;
        } else if let Some(dir) = path.parent() {
            arraysync_core::safefs::create_dir_all(dir).map_err(|e| EternusError::io(dir, e))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(path, e))?;
        if !exists {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                path,
                std::fs::Permissions::from_mode(arraysync_core::safefs::FILE_MODE),
            )
            .map_err(|e| EternusError::io(path, e))?;
        }
        let store = Store::ready(conn, path, CORRUPT, &SCHEMA, !exists)?;
        Ok(BackupRepository { store })
    }

    /// Check first, then act: proves the list can be written now (not locked, not
    /// read-only) by making a write and rolling it back. The commands that change the
    /// array call it before touching it, so a history is never lost after the copy.
    pub fn check_writable(&mut self) -> Result<()> {
        self.store
            .check_writable("INSERT OR REPLACE INTO meta (key, value) VALUES ('write_check', 'ok')")
    }

    pub fn file(&self) -> &Path {
        self.store.path()
    }

    /// Runs `f` in one immediate (write-locking) transaction, committed only on `Ok`.
    pub fn write<T>(&mut self, f: impl FnOnce(&BTx<'_>) -> Result<T>) -> Result<T> {
        self.store.write(|tx, path| f(&BTx { tx, path }))
    }

    /// Runs `f` in one read transaction.
    pub fn read<T>(&mut self, f: impl FnOnce(&BTx<'_>) -> Result<T>) -> Result<T> {
        self.store.read(|tx, path| f(&BTx { tx, path }))
    }

    /// A consistent copy of the whole list into `target` (swstresback).
    pub fn save_to(&self, target: &Path) -> Result<()> {
        let text = target.display().to_string();
        self.store
            .conn()
            .execute("VACUUM INTO ?1", [text])
            .map(|_| ())
            .map_err(|e| self.store.err(e))
    }

    /// Checks the file's integrity (swstsrsemtch -x, swstresrst).
    pub fn integrity(&self) -> Result<()> {
        let answer: String = self
            .store
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.store.err(e))?;
        if answer == "ok" {
            Ok(())
        } else {
            Err(EternusError::Repository {
                path: self.store.path().display().to_string(),
                message: format!("integrity check failed: {answer}"),
            })
        }
    }
}

/// A transaction on the list.
pub struct BTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    path: &'a Path,
}

const VOLUME_COLUMNS: &str = "seq, device, array, box_id, volume, size, mode";

fn volume_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BackupVolume> {
    let mode: String = r.get(6)?;
    Ok(BackupVolume {
        seq: r.get(0)?,
        device: r.get(1)?,
        array: r.get(2)?,
        box_id: r.get(3)?,
        number: r.get(4)?,
        size: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        mode: if mode == "transaction" {
            Mode::Transaction
        } else {
            Mode::Backup
        },
    })
}

fn history_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<History> {
    let kind: String = r.get(3)?;
    Ok(History {
        tv: r.get(0)?,
        version: r.get(1)?,
        bv: r.get(2)?,
        kind: Kind::parse(&kind),
        date: r.get(4)?,
        bv_number: r.get(5)?,
    })
}

fn binding_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Binding> {
    let kind: String = r.get(2)?;
    Ok(Binding {
        bv: r.get(0)?,
        tv: r.get(1)?,
        kind: Bound::parse(&kind),
    })
}

fn restore_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Restore> {
    Ok(Restore {
        tv: r.get(0)?,
        version: r.get(1)?,
        bv: r.get(2)?,
        dest: r.get(3)?,
        dest_number: r.get(4)?,
        started: r.get(5)?,
    })
}

impl BTx<'_> {
    fn err(&self, e: rusqlite::Error) -> EternusError {
        db_error(self.path, e)
    }

    fn exec(&self, sql: &str, args: impl rusqlite::Params) -> Result<usize> {
        self.tx.execute(sql, args).map_err(|e| self.err(e))
    }

    fn all<T>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
        f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut statement = self.tx.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = statement.query_map(args, f).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        crate::sqlite::meta(self.tx, key).map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        crate::sqlite::set_meta(self.tx, key, value).map_err(|e| self.err(e))
    }

    // ----- volumes ---------------------------------------------------------------------

    pub fn volumes(&self) -> Result<Vec<BackupVolume>> {
        self.all(
            &format!("SELECT {VOLUME_COLUMNS} FROM volumes ORDER BY seq"),
            [],
            volume_row,
        )
    }

    /// The volumes the status displays look up: every TV, and the BVs bound by a session
    /// (with or without history) or used by a restore; plain history rows carry their BV's
    /// number, so 31,000 generations do not load 31,000 volumes.
    pub fn display_volumes(&self) -> Result<Vec<BackupVolume>> {
        self.all(
            &format!(
                "SELECT {VOLUME_COLUMNS} FROM volumes WHERE mode = 'transaction' \
                 OR device IN (SELECT bv FROM bound) OR device IN (SELECT bv FROM restores) \
                 OR device IN (SELECT bv FROM history WHERE kind IN ('qopc', 'ec-suspend')) ORDER BY seq"
            ),
            [],
            volume_row,
        )
    }

    pub fn volume(&self, device: &str) -> Result<Option<BackupVolume>> {
        self.tx
            .query_row(
                &format!("SELECT {VOLUME_COLUMNS} FROM volumes WHERE device = ?1"),
                [device],
                volume_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Registers or changes the mode of a volume (keeps its registration order).
    pub fn set_volume(&self, v: &BackupVolume) -> Result<()> {
        self.exec(
            "INSERT INTO volumes(device, array, box_id, volume, size, mode) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT(device) DO UPDATE SET array = excluded.array, box_id = excluded.box_id, \
             volume = excluded.volume, size = excluded.size, mode = excluded.mode",
            params![
                v.device,
                v.array,
                v.box_id,
                v.number,
                i64::try_from(v.size).unwrap_or(i64::MAX),
                v.mode.as_str()
            ],
        )
        .map(|_| ())
    }

    pub fn delete_volume(&self, device: &str) -> Result<()> {
        self.exec("DELETE FROM tvs WHERE device = ?1", [device])?;
        self.exec("DELETE FROM volumes WHERE device = ?1", [device])
            .map(|_| ())
    }

    // ----- policies --------------------------------------------------------------------

    pub fn policy(&self, device: &str) -> Result<Option<Policy>> {
        self.tx
            .query_row(
                "SELECT interval_days, save_number FROM policies WHERE device = ?1",
                [device],
                |r| {
                    Ok(Policy {
                        interval_days: r.get(0)?,
                        save_number: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every policy, by TV registration order.
    pub fn policies(&self) -> Result<Vec<(String, Policy)>> {
        self.all(
            "SELECT p.device, p.interval_days, p.save_number FROM policies p \
             JOIN volumes v ON v.device = p.device ORDER BY v.seq",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    Policy {
                        interval_days: r.get(1)?,
                        save_number: r.get(2)?,
                    },
                ))
            },
        )
    }

    pub fn set_policy(&self, device: &str, p: Policy) -> Result<()> {
        self.exec(
            "INSERT INTO policies(device, interval_days, save_number) VALUES (?1, ?2, ?3) \
             ON CONFLICT(device) DO UPDATE SET interval_days = excluded.interval_days, save_number = excluded.save_number",
            params![device, p.interval_days, p.save_number],
        )
        .map(|_| ())
    }

    pub fn delete_policy(&self, device: &str) -> Result<()> {
        self.exec("DELETE FROM policies WHERE device = ?1", [device])
            .map(|_| ())
    }

    // ----- per-TV bookkeeping ----------------------------------------------------------

    pub fn tv_state(&self, tv: &str) -> Result<TvState> {
        Ok(self
            .tx
            .query_row(
                "SELECT next_version, last_backup, exec_date FROM tvs WHERE device = ?1",
                [tv],
                |r| {
                    Ok(TvState {
                        next_version: r.get(0)?,
                        last_backup: r.get(1)?,
                        exec_date: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or(TvState {
                next_version: 1,
                ..Default::default()
            }))
    }

    /// Every TV's bookkeeping (one query for the display commands).
    pub fn tv_states(&self) -> Result<std::collections::HashMap<String, TvState>> {
        Ok(self
            .all(
                "SELECT device, next_version, last_backup, exec_date FROM tvs",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        TvState {
                            next_version: r.get(1)?,
                            last_backup: r.get(2)?,
                            exec_date: r.get(3)?,
                        },
                    ))
                },
            )?
            .into_iter()
            .collect())
    }

    /// Takes the next absolute generation number of `tv` (never reused).
    pub fn take_version(&self, tv: &str) -> Result<i64> {
        let state = self.tv_state(tv)?;
        self.exec(
            "INSERT INTO tvs(device, next_version) VALUES (?1, ?2) \
             ON CONFLICT(device) DO UPDATE SET next_version = excluded.next_version",
            params![tv, state.next_version + 1],
        )?;
        Ok(state.next_version)
    }

    pub fn set_last_backup(&self, tv: &str, when: i64) -> Result<()> {
        self.exec(
            "INSERT INTO tvs(device, last_backup) VALUES (?1, ?2) \
             ON CONFLICT(device) DO UPDATE SET last_backup = excluded.last_backup",
            params![tv, when],
        )
        .map(|_| ())
    }

    pub fn set_exec_date(&self, tv: &str, when: i64) -> Result<()> {
        self.exec(
            "INSERT INTO tvs(device, exec_date) VALUES (?1, ?2) \
             ON CONFLICT(device) DO UPDATE SET exec_date = excluded.exec_date",
            params![tv, when],
        )
        .map(|_| ())
    }

    // ----- history ---------------------------------------------------------------------

    /// The TV's generations, newest first (index + 1 = relative generation).
    pub fn history(&self, tv: &str) -> Result<Vec<History>> {
        self.all(
            "SELECT h.tv, h.version, h.bv, h.kind, h.date, v.volume FROM history h \
             LEFT JOIN volumes v ON v.device = h.bv WHERE h.tv = ?1 ORDER BY h.version DESC",
            [tv],
            history_row,
        )
    }

    /// Every history, by TV then newest first.
    pub fn all_history(&self) -> Result<Vec<History>> {
        self.all(
            "SELECT h.tv, h.version, h.bv, h.kind, h.date, v.volume FROM history h \
             LEFT JOIN volumes v ON v.device = h.bv ORDER BY h.tv, h.version DESC",
            [],
            history_row,
        )
    }

    pub fn insert_history(&self, h: &History) -> Result<()> {
        self.exec(
            "INSERT INTO history(tv, version, bv, kind, date) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![h.tv, h.version, h.bv, h.kind.as_str(), h.date],
        )
        .map(|_| ())
    }

    pub fn delete_history(&self, tv: &str, version: i64) -> Result<()> {
        self.exec(
            "DELETE FROM history WHERE tv = ?1 AND version = ?2",
            params![tv, version],
        )?;
        self.exec(
            "DELETE FROM restores WHERE tv = ?1 AND version = ?2",
            params![tv, version],
        )
        .map(|_| ())
    }

    pub fn set_history_kind(&self, tv: &str, version: i64, kind: Kind) -> Result<()> {
        self.exec(
            "UPDATE history SET kind = ?3 WHERE tv = ?1 AND version = ?2",
            params![tv, version, kind.as_str()],
        )
        .map(|_| ())
    }

    // ----- bound BVs -------------------------------------------------------------------

    pub fn bindings(&self) -> Result<Vec<Binding>> {
        self.all(
            "SELECT b.bv, b.tv, b.kind FROM bound b LEFT JOIN volumes v ON v.device = b.bv ORDER BY b.tv, v.seq",
            [],
            binding_row,
        )
    }

    pub fn bindings_of(&self, tv: &str) -> Result<Vec<Binding>> {
        self.all(
            "SELECT b.bv, b.tv, b.kind FROM bound b LEFT JOIN volumes v ON v.device = b.bv WHERE b.tv = ?1 ORDER BY v.seq",
            [tv],
            binding_row,
        )
    }

    pub fn bind(&self, bv: &str, tv: &str, kind: Bound) -> Result<()> {
        self.exec(
            "INSERT INTO bound(bv, tv, kind) VALUES (?1, ?2, ?3) \
             ON CONFLICT(bv) DO UPDATE SET tv = excluded.tv, kind = excluded.kind",
            params![bv, tv, kind.as_str()],
        )
        .map(|_| ())
    }

    pub fn unbind(&self, bv: &str) -> Result<()> {
        self.exec("DELETE FROM bound WHERE bv = ?1", [bv])
            .map(|_| ())
    }

    // ----- restores --------------------------------------------------------------------

    pub fn restores(&self) -> Result<Vec<Restore>> {
        self.all(
            "SELECT tv, version, bv, dest, dest_volume, started FROM restores ORDER BY tv, version DESC, dest",
            [],
            restore_row,
        )
    }

    pub fn restores_of(&self, tv: &str) -> Result<Vec<Restore>> {
        self.all(
            "SELECT tv, version, bv, dest, dest_volume, started FROM restores WHERE tv = ?1 ORDER BY version DESC, dest",
            [tv],
            restore_row,
        )
    }

    pub fn set_restore(&self, r: &Restore) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO restores(tv, version, bv, dest, dest_volume, started) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![r.tv, r.version, r.bv, r.dest, r.dest_number, r.started],
        )
        .map(|_| ())
    }

    pub fn delete_restore(&self, tv: &str, dest: &str) -> Result<()> {
        self.exec(
            "DELETE FROM restores WHERE tv = ?1 AND dest = ?2",
            params![tv, dest],
        )
        .map(|_| ())
    }

    // ----- running commands (swstexecstat Status/Execute) ------------------------------

    pub fn mark_running(&self, pid: u32, tv: &str, command: &str, when: i64) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO running(pid, tv, command, started) VALUES (?1, ?2, ?3, ?4)",
            params![pid, tv, command, when],
        )
        .map(|_| ())
    }

    pub fn clear_running(&self, pid: u32) -> Result<()> {
        self.exec("DELETE FROM running WHERE pid = ?1", [pid])
            .map(|_| ())
    }

    /// (pid, tv, command) of every marker, live or stale.
    pub fn running(&self) -> Result<Vec<(u32, String, String)>> {
        self.all(
            "SELECT pid, tv, command FROM running ORDER BY started",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(device: &str, number: u32, mode: Mode) -> BackupVolume {
        BackupVolume {
            seq: 0,
            device: device.into(),
            array: "DX1".into(),
            box_id: "BOX".into(),
            number,
            size: 1 << 30,
            mode,
        }
    }

    #[test]
    fn versions_only_grow_and_failed_transactions_change_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut repo = BackupRepository::open_at(&dir.path().join("b.db")).expect("opens");
        repo.write(|tx| {
            tx.set_volume(&volume("/dev/vg01", 1, Mode::Transaction))?;
            tx.set_volume(&volume("/dev/vg02", 2, Mode::Backup))
        })
        .expect("register");
        let v1 = repo.write(|tx| tx.take_version("/dev/vg01")).expect("v");
        let v2 = repo.write(|tx| tx.take_version("/dev/vg01")).expect("v");
        assert_eq!((v1, v2), (1, 2));
        let failed: Result<()> = repo.write(|tx| {
            tx.take_version("/dev/vg01")?;
            tx.insert_history(&History {
                tv: "/dev/vg01".into(),
                version: 3,
                bv: "/dev/vg02".into(),
                kind: Kind::Opc,
                date: 0,
                bv_number: None,
            })?;
            Err(EternusError::Refused("no".into()))
        });
        assert!(failed.is_err());
        assert!(repo
            .read(|tx| tx.history("/dev/vg01"))
            .expect("h")
            .is_empty());
        assert_eq!(repo.write(|tx| tx.take_version("/dev/vg01")).expect("v"), 3);
        let volumes = repo.read(|tx| tx.volumes()).expect("volumes");
        assert_eq!(volumes[0].device, "/dev/vg01");
        assert_eq!(volumes[1].mode, Mode::Backup);
    }

    #[test]
    fn a_backup_volume_holds_at_most_one_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut repo = BackupRepository::open_at(&dir.path().join("b.db")).expect("opens");
        let h = |version| History {
            tv: "/dev/vg01".into(),
            version,
            bv: "/dev/vg02".into(),
            kind: Kind::Opc,
            date: 0,
            bv_number: None,
        };
        repo.write(|tx| tx.insert_history(&h(1))).expect("first");
        assert!(repo.write(|tx| tx.insert_history(&h(2))).is_err());
    }
}
