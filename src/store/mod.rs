//! The only module that touches redb (and ClickHouse). One file,
//! `touchpoint.redb`, in the data dir.
//!
//! Every table name carries a version (`sessions_v1`); the schema version lives in
//! `meta_v1` and [`Store::open`] runs explicit migrations up to [`SCHEMA_VERSION`].
//! Writes come from one writer thread (ingest's writer) in batches;
//! readers take MVCC snapshots and never block it.
//!
//! **The event-store boundary.** Visits and their events have two engines:
//! the `sessions_v1` table here (embedded, the default) or ClickHouse
//! ([`clickhouse`], after [`Store::use_clickhouse`]). Everything that touches
//! visits goes through these methods, each answering from whichever engine
//! holds them — so nothing above `store/` knows which runs:
//! - append: [`Store::commit_batch`] (the writer's batches, consent upgrades);
//! - read: [`ReadView::for_each_session`], [`ReadView::first_session_start`],
//!   [`ReadView::last_session_start`], [`ReadView::session_row`],
//!   [`ReadView::session_count`], [`Store::sessions_since`];
//! - what batches changed in watched open days: [`DayWatch`] (embedded only);
//! - a person: [`Store::person_data`] (export), [`Store::erase_person`];
//! - lifecycle: [`Store::purge_old`] (retention), [`Store::delete_site`],
//!   [`Store::purge_deleted`], and the texts sweep ([`Store::sweep_strings`]).
//!
//! Reports push their aggregation down: with ClickHouse, `stats` asks
//! [`ReadView::clickhouse`] for it and runs one SQL statement per grouping;
//! rollups exist on the embedded engine only. Accounts, sites, keys, goals,
//! consent, leads, conversions and the interned texts always stay in redb.

pub mod aad;
#[cfg(test)]
mod account_tests;
mod accounts;
mod audit;
pub mod backup;
pub mod changes;
pub mod clickhouse;
pub mod codec;
mod cold;
pub mod columns;
mod consent;
mod conversions;
mod day_watch;
mod db;
mod deletion;
mod error;
mod funnels;
mod goals;
mod imports;
mod keys;
mod lead_contact;
mod leads;
mod logins;
mod mail;
mod messages;
mod migrations;
mod open_visits;
mod passkeys;
mod person;
mod person_erase;
mod read;
pub mod record;
mod repack;
mod requests;
mod retention;
mod rollups;
mod rows;
mod salts;
mod sealed;
mod segments;
mod sessions;
mod site_restore;
mod sites;
mod spend;
mod strings;
mod tables;
#[cfg(test)]
mod tests;
mod webhook_outbox;
pub mod webhooks;

use std::{path::Path, sync::Arc};

use redb::ReadableTable;

pub use day_watch::{Changes, DayWatch};
pub use db::DEFAULT_MIN_FREE_BYTES;
pub use error::StoreError;

pub use accounts::{UserRecord, Workspace, WorkspaceChoice};
pub use audit::AuditEntry;
pub use cold::{COLD_AFTER_DAYS, Visit};
pub use consent::{ConsentEntry, LeadIdentity};
pub use funnels::SavedFunnel;
pub use goals::{Goal, GoalKind};
pub use imports::{ImportRecord, ImportedRow};
pub use keys::{ApiKeyRecord, KeyScopes};
pub use leads::{Conversion, ConversionKind, Lead};
pub use logins::{Invite, LoginSession, LoginStage};
pub use mail::{Recipient, SiteMail};
pub use messages::{MESSAGE_ID_TTL_MS, MessageId};
pub use open_visits::{ParkedReader, ParkedVisit};
pub use passkeys::{PasskeyKey, PasskeyRecord};
pub use person::{PersonData, PersonKeys, PersonTable, REGISTRY, RowCounts, TableClass};
pub use read::ReadView;
pub use requests::{DUE_DAYS, RequestKind, SubjectRequest};
pub use retention::Cutoff;
pub use rollups::{RollupRow, RollupSums};
pub use sealed::{Resealer, SealedTable, Stored};
pub use sessions::{Batch, EngagementPing, SessionAppend, SessionKey, VisitorUpgrade};
pub use sites::Site;
pub use strings::{SWEEP_BATCH, StringGate, StringsGuard, TEXT_ROLLUP_DIMS};
use tables::{META, SCHEMA_VERSION_KEY};

/// Schema version this build reads and writes.
pub const SCHEMA_VERSION: u64 = 6;

/// Key of the sealed keyring in `meta_v1`.
const KEYRING_KEY: &str = "keyring";

/// Default size of redb's page cache (`storage.cache_mb`): 16 and 32 MiB
/// measured the same on reports and ingestion (BENCHMARKS.md, memory).
pub const DEFAULT_CACHE_BYTES: usize = 16 << 20;

/// File name inside the data dir.
pub const FILE_NAME: &str = "touchpoint.redb";

/// Handle to the store; cheap to clone and share across threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<db::Db>,
    path: Arc<Path>,
    /// Sweeps of interned texts and the writer meet here (see `strings`).
    strings: Arc<StringGate>,
    /// Where visits live when not in redb (`[events] engine = "clickhouse"`).
    events: Option<Arc<clickhouse::ClickHouse>>,
    /// The batches' changes to watched open days (see [`DayWatch`]).
    watch: Arc<DayWatch>,
    /// Bytes one report reading this store may hold (0: no limit).
    report_limit: usize,
}

/// What one table takes on disk (redb's table statistics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBytes {
    /// Table name (`sessions_v1`).
    pub name: String,
    /// Entries.
    pub rows: u64,
    /// Bytes of keys and values.
    pub stored: u64,
    /// Bytes of page headers and branch pages.
    pub metadata: u64,
    /// Bytes of the table's pages that hold nothing.
    pub unused: u64,
}

impl Store {
    /// Opens (or creates) the store in `data_dir` with the default cache.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process has it open, or any I/O error.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(data_dir, DEFAULT_CACHE_BYTES)
    }

    /// Opens (or creates) the store in `data_dir` and migrates it. The page
    /// cache is bounded: it is most of the process's memory under load, and the
    /// OS page cache still holds the file.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process has it open, or any I/O error.
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join(FILE_NAME);
        let db = db::Db::open(&path, cache_bytes)?;
        let store = Self {
            db: Arc::new(db),
            path: path.into(),
            strings: Arc::default(),
            events: None,
            watch: Arc::default(),
            report_limit: 0,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Puts visits and events on ClickHouse from now on (at start, before the
    /// writer runs; the redb file keeps everything else).
    pub fn use_clickhouse(&mut self, ch: Arc<clickhouse::ClickHouse>) {
        self.events = Some(ch);
    }

    /// The ClickHouse engine, when visits live there.
    #[must_use]
    pub fn clickhouse(&self) -> Option<&Arc<clickhouse::ClickHouse>> {
        self.events.as_ref()
    }

    /// Size of the file on disk in bytes.
    #[must_use]
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        let found = {
            let meta = tx.open_table(META)?;

            meta.get(SCHEMA_VERSION_KEY)?
                .map_or(0, |v| u64_from(v.value()))
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found });
        }
        // Version 0 → 1: a new file. Later migrations go here, one step each,
        // inside this same transaction so a crash leaves the old version intact.
        // Opening a table creates it if missing, so tables added within a
        // schema version appear in existing files too.
        tables::create_all(&tx)?;
        if found == 1 {
            migrations::v1_to_v2(&tx)?;
        }
        if (1..=2).contains(&found) {
            migrations::v2_to_v3(&tx)?;
        }
        if (1..=3).contains(&found) {
            migrations::v3_to_v4(&tx)?;
        }
        // 4 → 5 moves nothing: segments written from now on pack their
        // integer columns in blocks of bits (`columns::packed`) and
        // hold each visit's id, which builds of schema 4 can't read; the
        // version keeps such a build from opening the store. Segments
        // written before are still read as they are.
        // 5 → 6 moves nothing either: completed days may turn cold (`cold`:
        // their visits kept in their segment only), which a build of schema
        // 5 would not see; the version keeps such a build from opening it.
        tx.open_table(META)?
            .insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION.to_be_bytes().as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// Rewrites the file to release free pages. Needs the only handle to the
    /// store (no server running); returns whether anything was reclaimed.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if other handles exist, or storage errors.
    pub fn compact(&mut self) -> Result<bool, StoreError> {
        let in_use =
            || StoreError::Conflict("the store is in use; stop the server to compact".into());
        let db = Arc::get_mut(&mut self.db).ok_or_else(in_use)?;
        db.compact().ok_or_else(in_use)?
    }

    /// Keeps `bytes` free on the store's filesystem: write transactions are
    /// refused with [`StoreError::DiskFull`] below it (0: no check;
    /// `storage.min_free_mb`, default [`DEFAULT_MIN_FREE_BYTES`]).
    pub fn set_min_free_bytes(&self, bytes: u64) {
        self.db.set_min_free_bytes(bytes);
    }

    /// Bounds the memory one report over this store's visits may hold while
    /// it computes, in bytes (0: no limit; `storage.max_report_mb`). Reports
    /// read it from their [`ReadView`] and stop past it.
    pub fn set_report_memory_limit(&mut self, bytes: usize) {
        self.report_limit = bytes;
    }

    /// Bytes used by table data and metadata, ignoring free pages.
    ///
    /// # Errors
    /// Storage errors.
    pub fn used_bytes(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_write()?;
        let stats = tx.stats()?;
        let used = stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes();
        tx.abort()?;
        Ok(used)
    }

    /// Bytes each table takes, largest first (see [`TableBytes`]).
    ///
    /// # Errors
    /// Storage errors.
    pub fn table_bytes(&self) -> Result<Vec<TableBytes>, StoreError> {
        use redb::{ReadableTableMetadata, TableHandle};
        let tx = self.db.begin_read()?;
        let mut out = Vec::new();
        for handle in tx.list_tables()? {
            let t = tx.open_untyped_table(handle.clone())?;
            let s = t.stats()?;
            out.push(TableBytes {
                name: handle.name().to_owned(),
                rows: t.len()?,
                stored: s.stored_bytes(),
                metadata: s.metadata_bytes(),
                unused: s.fragmented_bytes(),
            });
        }
        out.sort_by_key(|t| std::cmp::Reverse(t.stored + t.metadata + t.unused));
        Ok(out)
    }

    /// A consistent read snapshot.
    ///
    /// # Errors
    /// Storage errors.
    pub fn read(&self) -> Result<ReadView, StoreError> {
        Ok(ReadView::new(
            self.db.begin_read()?,
            self.events.clone(),
            Arc::clone(&self.watch),
            self.report_limit,
        ))
    }

    /// The sealed keyring (see `privacy::keys`), if one was stored.
    ///
    /// # Errors
    /// Storage errors.
    pub fn keyring(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        Ok(meta.get(KEYRING_KEY)?.map(|v| v.value().to_vec()))
    }

    /// Stores the sealed keyring.
    ///
    /// # Errors
    /// Storage errors.
    pub fn set_keyring(&self, sealed: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?.insert(KEYRING_KEY, sealed)?;
        tx.commit()?;
        Ok(())
    }

    /// Reopens the file if an I/O failure left redb refusing every
    /// operation (reads included); see `store::db`.
    ///
    /// # Errors
    /// [`StoreError::DiskFull`], [`StoreError::Reopening`] or storage errors.
    pub fn reopen_if_failed(&self) -> Result<(), StoreError> {
        self.db.begin_write()?.abort()?;
        Ok(())
    }

    /// Proves the store accepts writes: a tiny transaction touching `meta_v1`.
    ///
    /// # Errors
    /// When a write transaction cannot be committed.
    pub fn probe_write(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            meta.insert("health_probe", [1u8].as_slice())?;
        }
        tx.commit()?;
        if let Some(ch) = &self.events {
            ch.query("SELECT 1")?;
        }
        Ok(())
    }
}

fn u64_from(bytes: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = bytes.len().min(8);
    a[8 - n..].copy_from_slice(&bytes[bytes.len() - n..]);
    u64::from_be_bytes(a)
}

fn read_counter(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<u64, StoreError> {
    Ok(meta.get(key)?.map_or(0, |v| u64_from(v.value())))
}

/// A store in a new temporary directory with one workspace and one site
/// (`a.example`, UTC), for tests.
#[cfg(test)]
pub(crate) fn test_store_with_site() -> (tempfile::TempDir, Store, crate::domain::SiteId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ws = store.create_workspace("W", 0).unwrap().id;
    let site = store
        .add_site(
            ws,
            &crate::domain::Domain::parse("a.example").unwrap(),
            crate::domain::Timezone::default(),
            0,
        )
        .unwrap()
        .id;
    (dir, store, site)
}
