//! Parking: the writer's bound on open visits in memory. Past
//! `ingest.max_open_visits` the least recently active quarter moves to the
//! store (`store::open_visits`) and a visit comes back when its visitor does.

use super::{Open, SESSION_TIMEOUT_MS, Sessionizer};
use crate::{
    domain::{SiteId, Timezone, calendar::local_day},
    store::{SessionKey, StoreError, record::SessionRecord},
};

impl Sessionizer {
    /// Takes back a stored visit after a restart (from
    /// [`Store::each_session_since`]): kept when it may still get events.
    pub fn restore(&mut self, key: SessionKey, record: &SessionRecord, now_ms: u64, tz: Timezone) {
        let last_ms = key.start_ms + u64::from(record.last_offset_ms());
        if last_ms + SESSION_TIMEOUT_MS < now_ms {
            return;
        }
        self.park_if_full(now_ms);
        let slot = (key.site.0, record.visitor);
        // If a visitor somehow has two recent rows, the later one is current.
        if self
            .open
            .get(&slot)
            .is_none_or(|o| o.key.start_ms <= key.start_ms)
        {
            self.open.insert(
                slot,
                Open {
                    key,
                    day: local_day(key.start_ms, tz),
                    last_ms,
                    events: u32::try_from(record.events.len()).unwrap_or(u32::MAX),
                },
            );
        }
    }

    /// When `open` is full, pushes out its least recently active quarter:
    /// visits of two or more events are parked, the rest end there (a visit
    /// of one event, mostly bounces and floods of new visitors, would cost a
    /// random write each to park; if its visitor comes back, that is a new
    /// visit).
    pub(super) fn park_if_full(&mut self, now_ms: u64) {
        if self.open.len() < self.max_open || self.store.is_none() {
            return;
        }
        if now_ms >= self.pushed_out_warned_ms + 3_600_000 {
            self.pushed_out_warned_ms = now_ms;
            tracing::warn!(
                max_open_visits = self.max_open,
                "more open visits than ingest.max_open_visits: the least recently active are pushed out \
                 (visits of one event end there, and a consent given later doesn't join them); \
                 raise it if this traffic is real (logged at most hourly)"
            );
        }
        let mut last: Vec<u64> = self.open.values().map(|o| o.last_ms).collect();
        let nth = last.len() / 4;
        let (_, threshold, _) = last.select_nth_unstable(nth);
        let threshold = *threshold;
        let parking = &mut self.parking;
        self.open.retain(|slot, o| {
            if o.last_ms > threshold {
                return true;
            }
            if o.events > 1 && o.last_ms + SESSION_TIMEOUT_MS >= now_ms {
                parking.insert(*slot, *o);
            }
            false
        });
    }

    /// Brings `slot`'s parked visit back into memory, if it has one. One
    /// taken from the store is deleted there with the next batch (and not
    /// read again from this batch's snapshot): the visit may move on to
    /// another hash (midnight, consent), and the old one mustn't lead to it.
    pub(super) fn unpark(&mut self, slot: (u32, u64)) -> Result<(), StoreError> {
        if self.open.contains_key(&slot) {
            return Ok(());
        }
        let found = match self.parking.remove(&slot) {
            Some(o) => Some(o),
            None if self.parked_on_disk && !self.unparked.contains(&slot) => {
                let found = match (&self.reader, &self.store) {
                    (Some(r), _) => r.get(SiteId(slot.0), slot.1)?,
                    (None, Some(store)) => {
                        let r = store.parked_reader()?;
                        let found = r.get(SiteId(slot.0), slot.1)?;
                        self.reader = Some(r);
                        found
                    }
                    (None, None) => None,
                };
                if found.is_some() {
                    self.unparked.insert(slot);
                }
                found
            }
            None => None,
        };
        if let Some(o) = found {
            self.open.insert(slot, o);
        }
        Ok(())
    }

    /// After a batch that dropped idle parked visits committed: `left` are
    /// still parked (none: visitors not in memory aren't looked up).
    pub fn parked_left(&mut self, left: u64) {
        self.parked_on_disk = left > 0 || !self.parking.is_empty();
    }
}
