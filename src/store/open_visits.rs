//! Open visits the writer parked on disk. The writer keeps the visits that
//! may still get events (those with an event in the last 30 minutes) in
//! memory, at most `ingest.max_open_visits` of them; past that it parks the
//! least recently active of two or more events here and reads one back when
//! its visitor returns, so a flood of new visitors can't grow memory and no
//! visit of several events is split.
//!
//! Two tables: `open_visits_v1` ((site, visitor hash) → the visit's row key,
//! day, last event and event count) for the lookup, and
//! `open_visit_expiry_v1` ((last event ms, site, visitor hash) → ()) so
//! visits that went idle are dropped by a range, not a scan.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::{
    Store, StoreError,
    codec::CodecError,
    sessions::SessionKey,
    tables::{OPEN_VISIT_EXPIRY, OPEN_VISITS},
};
use crate::domain::SiteId;

/// An open visit as the writer routes events to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParkedVisit {
    /// The visit's row.
    pub key: SessionKey,
    /// Local day the visit started (its rollup day).
    pub day: u32,
    /// Unix ms of its latest event.
    pub last_ms: u64,
    /// Events it holds.
    pub events: u32,
}

const ENCODED_LEN: usize = 32;

impl ParkedVisit {
    fn encode(&self) -> [u8; ENCODED_LEN] {
        let mut out = [0; ENCODED_LEN];
        out[..8].copy_from_slice(&self.key.start_ms.to_le_bytes());
        out[8..16].copy_from_slice(&self.key.id.to_le_bytes());
        out[16..20].copy_from_slice(&self.day.to_le_bytes());
        out[20..28].copy_from_slice(&self.last_ms.to_le_bytes());
        out[28..32].copy_from_slice(&self.events.to_le_bytes());
        out
    }

    fn decode(site: u32, v: &[u8]) -> Result<Self, CodecError> {
        let b: &[u8; ENCODED_LEN] = v
            .try_into()
            .map_err(|_| CodecError("parked visit of the wrong length"))?;
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Ok(Self {
            key: SessionKey {
                site: SiteId(site),
                start_ms: u64_at(0),
                id: u64_at(8),
            },
            day: u32_at(16),
            last_ms: u64_at(20),
            events: u32_at(28),
        })
    }
}

/// Parks `visits` ((visitor hash, visit)), replacing what a visitor had parked.
pub(super) fn park(tx: &WriteTransaction, visits: &[(u64, ParkedVisit)]) -> Result<(), StoreError> {
    if visits.is_empty() {
        return Ok(());
    }
    let mut table = tx.open_table(OPEN_VISITS)?;
    let mut expiry = tx.open_table(OPEN_VISIT_EXPIRY)?;
    for (visitor, v) in visits {
        let site = v.key.site.0;
        table.insert((site, *visitor), v.encode().as_slice())?;
        expiry.insert((v.last_ms, site, *visitor), ())?;
    }
    Ok(())
}

/// Deletes the parked visits the writer took back ((site, visitor hash)).
/// Their expiry entries stay until due ([`drop_idle`] skips them).
pub(super) fn unpark(tx: &WriteTransaction, slots: &[(u32, u64)]) -> Result<(), StoreError> {
    if slots.is_empty() {
        return Ok(());
    }
    let mut table = tx.open_table(OPEN_VISITS)?;
    for slot in slots {
        table.remove(slot)?;
    }
    Ok(())
}

/// Drops parked visits whose latest event is before `before_ms` (they can't
/// get events any more). Returns how many parked visits are left.
pub(super) fn drop_idle(tx: &WriteTransaction, before_ms: u64) -> Result<u64, StoreError> {
    let mut table = tx.open_table(OPEN_VISITS)?;
    let mut expiry = tx.open_table(OPEN_VISIT_EXPIRY)?;
    let mut due = Vec::new();
    expiry.retain_in(
        (0, 0, 0)..(before_ms, 0, 0),
        |(last_ms, site, visitor), ()| {
            due.push((last_ms, site, visitor));
            false
        },
    )?;
    for (last_ms, site, visitor) in due {
        // A visitor parked again later has a later entry: theirs stays.
        let stale = match table.get((site, visitor))? {
            Some(v) => ParkedVisit::decode(site, v.value())?.last_ms == last_ms,
            None => false,
        };
        if stale {
            table.remove((site, visitor))?;
        }
    }
    Ok(table.len()?)
}

/// Forgets the parked visits of `visitors` on `site` (an erasure).
pub(super) fn forget(
    tx: &WriteTransaction,
    site: SiteId,
    visitors: &[u64],
) -> Result<(), StoreError> {
    let mut table = tx.open_table(OPEN_VISITS)?;
    for v in visitors {
        table.remove((site.0, *v))?;
    }
    // Every entry, also those of a visit parked before and parked again.
    tx.open_table(OPEN_VISIT_EXPIRY)?
        .retain(|(_, s, v), ()| s != site.0 || !visitors.contains(&v))?;
    Ok(())
}

/// Forgets every parked visit of `site` (the site is being deleted).
pub(super) fn forget_site(tx: &WriteTransaction, site: SiteId) -> Result<(), StoreError> {
    tx.open_table(OPEN_VISITS)?
        .retain_in((site.0, 0)..=(site.0, u64::MAX), |_, _| false)?;
    tx.open_table(OPEN_VISIT_EXPIRY)?
        .retain(|(_, s, _), ()| s != site.0)?;
    Ok(())
}

/// A snapshot of the parked visits, for the lookups of one batch.
pub struct ParkedReader {
    table: redb::ReadOnlyTable<(u32, u64), &'static [u8]>,
}

impl ParkedReader {
    /// The visit `visitor` has parked on `site`, if any (it may have gone
    /// idle since: the caller checks `last_ms`).
    ///
    /// # Errors
    /// Storage errors or a corrupt entry.
    pub fn get(&self, site: SiteId, visitor: u64) -> Result<Option<ParkedVisit>, StoreError> {
        Ok(match self.table.get((site.0, visitor))? {
            Some(v) => Some(ParkedVisit::decode(site.0, v.value())?),
            None => None,
        })
    }
}

impl Store {
    /// The parked visits as of now (later parkings aren't seen).
    ///
    /// # Errors
    /// Storage errors.
    pub fn parked_reader(&self) -> Result<ParkedReader, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(ParkedReader {
            table: tx.open_table(OPEN_VISITS)?,
        })
    }

    /// The visit `visitor` has parked on `site`, if any.
    ///
    /// # Errors
    /// Storage errors or a corrupt entry.
    pub fn parked_visit(
        &self,
        site: SiteId,
        visitor: u64,
    ) -> Result<Option<ParkedVisit>, StoreError> {
        self.parked_reader()?.get(site, visitor)
    }

    /// How many visits are parked.
    ///
    /// # Errors
    /// Storage errors.
    pub fn parked_visit_count(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(OPEN_VISITS)?.len()?)
    }
}

#[cfg(test)]
impl Store {
    /// Entries of the expiry index (a visit parked twice has two until the
    /// first is due).
    pub(crate) fn parked_visit_count_expiring(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(OPEN_VISIT_EXPIRY)?.len()?)
    }
}
