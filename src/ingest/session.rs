//! Sessionization: which visit an event belongs to. A visit ends after 30
//! minutes without events; its acquisition, location and device are those of
//! its first event. Kept in memory by the writer and rebuilt from the store on
//! start, so it survives restarts.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

pub use super::interner::{INTERNER_CACHE_MAX, MAX_STRING_BYTES};
use super::{enrich::Enriched, interner::Interner, visitor::DAY_MS};
use crate::{
    domain::{SiteId, calendar::local_day},
    store::{
        Batch, Conversion, ConversionKind, EngagementPing, ParkedReader, ParkedVisit,
        SessionAppend, SessionKey, Store, StoreError, VisitorUpgrade,
        record::{EventRecord, Revenue, SessionRecord},
    },
};

mod parking;
#[cfg(test)]
mod parking_tests;

/// Inactivity that ends a visit (a domain value: reports use it too).
pub use crate::domain::visit::SESSION_TIMEOUT_MS;
/// A visit holds at most this many events; the next starts a new visit. It bounds
/// the cost of rewriting a visit row on every event (runaway scripts, missed bots).
pub const MAX_EVENTS_PER_SESSION: usize = 1000;
/// What is kept in memory about an open visit: enough to route the next event
/// to its row, not the row itself (that is read back inside the write
/// transaction), so memory stays small however many visitors are active.
/// Past [`Sessionizer`]'s bound the least recently active are parked in the
/// store in the same shape.
type Open = ParkedVisit;

/// Default most open visits held in memory (`ingest.max_open_visits`): about
/// 60 bytes each with the table's slack, ~7.5 MB (~11 MB while the table
/// grows). 200,000 peaked ~20 MB higher under overload. Measured
/// (BENCHMARKS.md, "Memory under overload"): a flood of new visitors then
/// costs no throughput, which parking every visit (one random B-tree write
/// each) did. A site passes it with ~100,000 visits in 30 minutes (~5 M a
/// day); their visits of several events are then parked, not lost.
pub const DEFAULT_MAX_OPEN_VISITS: usize = 100_000;

/// Open visits by (site, visitor hash).
pub struct Sessionizer {
    open: HashMap<(u32, u64), Open, FxBuildHasher>,
    /// Most visits in `open`; past it the least recently active are parked.
    max_open: usize,
    /// Where parked visits are read back from (none: nothing is parked).
    store: Option<Store>,
    /// The parked visits as of the last commit, opened by this batch's first
    /// lookup and closed at the drain (so the next batch sees this one's).
    reader: Option<ParkedReader>,
    /// Parked visits taken from the store since the last drain (deleted
    /// there with it).
    unparked: std::collections::HashSet<(u32, u64), FxBuildHasher>,
    /// Visits parked since the last drain (not on disk yet).
    parking: HashMap<(u32, u64), Open, FxBuildHasher>,
    /// The store may hold parked visits: a visitor not in memory is looked up.
    parked_on_disk: bool,
    /// Parked visits idle since before this go with the next drain.
    drop_parked_before_ms: Option<u64>,
    /// When pushing visits out was last logged (event time, ms).
    pushed_out_warned_ms: u64,
    next_id: u64,
    /// Changes since the last drain, by visit.
    pending: HashMap<SessionKey, SessionAppend, FxBuildHasher>,
    /// Consent upgrades since the last drain.
    upgrades: Vec<VisitorUpgrade>,
    /// Purchases since the last drain.
    conversions: Vec<(SiteId, Conversion)>,
    /// Visits of timed events older than their visitor's open visit (an
    /// offline queue flushed late): kept apart so the open visit goes on.
    /// Emptied with [`Sessionizer::evict_idle`].
    past: HashMap<(u32, u64), Open, FxBuildHasher>,
    /// Region codes whose names this writer has stored (or is storing).
    named_regions: std::collections::HashSet<String, FxBuildHasher>,
    /// Region names new since the last drain.
    region_names: Vec<(String, String)>,
}

impl Sessionizer {
    /// An empty table holding at most `max_open` visits in memory; past it
    /// visits are parked in `store` (without a store, nothing is parked and
    /// memory is unbounded: for tests).
    #[must_use]
    pub fn new(next_id: u64, max_open: usize, store: Option<Store>) -> Self {
        Self {
            open: HashMap::default(),
            max_open: max_open.max(1),
            parked_on_disk: store.is_some(),
            store,
            reader: None,
            unparked: std::collections::HashSet::default(),
            parking: HashMap::default(),
            drop_parked_before_ms: None,
            pushed_out_warned_ms: 0,
            next_id: next_id.max(1),
            pending: HashMap::default(),
            upgrades: Vec::new(),
            conversions: Vec::new(),
            past: HashMap::default(),
            named_regions: std::collections::HashSet::default(),
            region_names: Vec::new(),
        }
    }

    /// Adds an event to its visit (continuing one or starting one).
    ///
    /// # Errors
    /// Storage errors from the interner.
    ///
    /// A [timed](Enriched::timed) event older than the start of its visitor's
    /// open visit joins (or starts) a visit of its own time, kept beside the
    /// open one, which goes on undisturbed.
    pub fn apply(&mut self, e: &Enriched, strings: &mut Interner) -> Result<(), StoreError> {
        let slot = (e.site.0, e.visitor.current);
        // Room first, then the visit this event may continue in memory; the
        // visits under its other hashes only when that one doesn't go on
        // (the only case they are looked at), so a parked-visit lookup isn't
        // paid per event for a previous salt's hash.
        self.park_if_full(e.ts_ms);
        self.unpark(slot)?;
        if !self.open.get(&slot).is_some_and(|o| continues(o, e)) {
            let cookieless = e.cookieless.map(|c| [Some(c.current), c.previous]);
            for h in [e.visitor.previous]
                .into_iter()
                .chain(cookieless.into_iter().flatten())
                .flatten()
            {
                self.unpark((e.site.0, h))?;
            }
        }
        if e.timed
            && let Some(later) = self.open.remove(&slot)
        {
            if e.ts_ms >= later.key.start_ms {
                self.open.insert(slot, later);
            } else {
                if let Some(past) = self.past.remove(&slot) {
                    self.open.insert(slot, past);
                }
                let res = self.apply_in_order(e, strings);
                if let Some(past) = self.open.insert(slot, later) {
                    self.past.insert(slot, past);
                }
                return res;
            }
        }
        self.apply_in_order(e, strings)
    }

    fn apply_in_order(&mut self, e: &Enriched, strings: &mut Interner) -> Result<(), StoreError> {
        let site = e.site.0;
        let live = |o: &Open| continues(o, e);
        let slot = (site, e.visitor.current);
        if !self.open.get(&slot).is_some_and(live) {
            // A visit that began before midnight continues under yesterday's
            // hash: move it to today's, so it outlives the previous salt.
            if let Some(prev) = e.visitor.previous
                && self.open.get(&(site, prev)).is_some_and(live)
                && let Some(open) = self.open.remove(&(site, prev))
            {
                self.open.insert(slot, open);
            }
        }
        if !self.open.get(&slot).is_some_and(live)
            && let Some(from) = e.cookieless
            && let Some(open_under) = [Some(from.current), from.previous]
                .into_iter()
                .flatten()
                .find(|h| self.open.get(&(site, *h)).is_some_and(live))
            && let Some(open) = self.open.remove(&(site, open_under))
        {
            // The visitor accepted consent during a cookieless visit: it
            // continues under their consenting id, and that salt day's
            // earlier visits join their journey too.
            self.open.insert(slot, open);
            let oldest = if from.previous.is_some() {
                e.ts_ms.saturating_sub(DAY_MS)
            } else {
                e.ts_ms
            };
            let since_ms = oldest - oldest % DAY_MS;
            self.upgrades.push(VisitorUpgrade {
                site: e.site,
                from: [Some(from.current), from.previous]
                    .into_iter()
                    .flatten()
                    .collect(),
                to: e.visitor.current,
                since_ms,
                days: local_day(since_ms, e.timezone)..=local_day(e.ts_ms, e.timezone),
            });
        }
        if let Some(engagement) = e.engagement {
            // A ping updates a pageview of an open visit and never starts one.
            if let Some(open) = self.open.get(&slot).filter(|o| live(o)) {
                let (key, day, upto) = (open.key, open.day, open.events);
                let ping = EngagementPing {
                    path: strings.intern(&e.path)?,
                    upto,
                    engagement,
                };
                self.append(key, day).engagements.push(ping);
            }
            return Ok(());
        }
        if !self.open.get(&slot).is_some_and(live) {
            let key = SessionKey {
                site: e.site,
                start_ms: e.ts_ms,
                id: self.next_id,
            };
            self.next_id += 1;
            let open = Open {
                key,
                day: local_day(e.ts_ms, e.timezone),
                last_ms: e.ts_ms,
                events: 0,
            };
            self.open.insert(slot, open);
            if let (Some(code), Some(name)) = (&e.geo.region, &e.geo.region_name)
                && !self.named_regions.contains(code)
            {
                self.named_regions.insert(code.clone());
                self.region_names.push((code.clone(), name.clone()));
            }
            self.pending.insert(
                key,
                SessionAppend {
                    key,
                    day: open.day,
                    header: Some(new_record(e, strings)?),
                    events: Vec::new(),
                    engagements: Vec::new(),
                },
            );
        }
        let open = self.open.get_mut(&slot).expect("just ensured");
        // Offsets never go backwards, even if the clock does.
        let offset =
            u32::try_from(open.last_ms.max(e.ts_ms) - open.key.start_ms).unwrap_or(u32::MAX);
        open.last_ms = open.last_ms.max(e.ts_ms);
        open.events += 1;
        let (key, day) = (open.key, open.day);
        let event = EventRecord {
            offset_ms: offset,
            name: strings.opt(e.name.as_deref())?,
            path: strings.intern(&e.path)?,
            pageview: e.name.is_none(),
            interactive: e.interactive,
            props: e
                .props
                .iter()
                .map(|(k, v)| Ok((strings.intern(k)?, strings.intern(v)?)))
                .collect::<Result<_, StoreError>>()?,
            revenue: e.revenue,
            engagement: None,
        };
        self.append(key, day).events.push(event);
        if let Some(r) = e.revenue {
            self.conversions.push((e.site, purchase(e, r)));
        }
        Ok(())
    }

    /// The pending changes of visit `key` (an existing row when new here).
    fn append(&mut self, key: SessionKey, day: u32) -> &mut SessionAppend {
        self.pending.entry(key).or_insert_with(|| SessionAppend {
            key,
            day,
            header: None,
            events: Vec::new(),
            engagements: Vec::new(),
        })
    }

    /// Moves what changed since the last call into `batch`.
    pub fn drain_into(&mut self, batch: &mut Batch, strings: &mut Interner) {
        batch.sessions.extend(self.pending.drain().map(|(_, a)| a));
        batch.upgrades.append(&mut self.upgrades);
        batch.conversions.append(&mut self.conversions);
        batch.region_names.append(&mut self.region_names);
        strings.drain_into(batch);
        batch.next_session_id = self.next_id;
        batch.unparked.extend(self.unparked.drain());
        if !self.parking.is_empty() {
            batch
                .parked
                .extend(self.parking.drain().map(|((_, v), o)| (v, o)));
            self.parked_on_disk = true;
        }
        batch.drop_parked_before_ms = self.drop_parked_before_ms.take();
        self.reader = None;
    }

    /// Forgets visits idle longer than the timeout (they are already stored).
    /// Parked visits as idle go with the next drain.
    pub fn evict_idle(&mut self, now_ms: u64) {
        let before = now_ms.saturating_sub(SESSION_TIMEOUT_MS);
        self.open.retain(|_, o| o.last_ms >= before);
        self.parking.retain(|_, o| o.last_ms >= before);
        self.past.clear();
        if self.parked_on_disk {
            self.drop_parked_before_ms = Some(before);
        }
    }
}

/// Whether event `e` goes on in open visit `o`: within the inactivity
/// timeout, under the event cap, and (for a timed event) not before it began.
fn continues(o: &Open, e: &Enriched) -> bool {
    e.ts_ms.saturating_sub(o.last_ms) < SESSION_TIMEOUT_MS
        && (o.events as usize) < MAX_EVENTS_PER_SESSION
        && (!e.timed || e.ts_ms >= o.key.start_ms)
}

/// Property a purchase's order id travels in (`tp('purchase', {order_id})`).
pub const ORDER_ID_PROP: &str = "order_id";

/// The purchase conversion an event with revenue makes (the tracker's
/// `purchase`, or any Plausible-style revenue event): the lead's when the
/// visitor is an identified lead, else the visitor's.
fn purchase(e: &Enriched, r: Revenue) -> Conversion {
    Conversion {
        lead: e.lead.clone().unwrap_or_default(),
        kind: ConversionKind::Purchase,
        at_ms: e.ts_ms,
        value_micros: r.amount_micros,
        currency: Some(String::from_utf8_lossy(&r.currency).into_owned()),
        order_id: e
            .props
            .iter()
            .find(|(k, v)| k == ORDER_ID_PROP && !v.is_empty())
            .map(|(_, v)| v.clone()),
        source: e.source.to_owned(),
        refunded_micros: 0,
        visitor: Some(e.visitor.current),
    }
}

fn new_record(e: &Enriched, s: &mut Interner) -> Result<SessionRecord, StoreError> {
    let a = &e.acquisition;
    Ok(SessionRecord {
        visitor: e.visitor.current,
        hostname: s.intern(&e.hostname)?,
        referrer: s.opt(a.referrer.as_deref())?,
        source: s.opt(a.source.as_deref())?,
        channel: a.channel.code(),
        utm: [
            s.opt(a.utm.source.as_deref())?,
            s.opt(a.utm.medium.as_deref())?,
            s.opt(a.utm.campaign.as_deref())?,
            s.opt(a.utm.term.as_deref())?,
            s.opt(a.utm.content.as_deref())?,
            s.opt(a.utm.id.as_deref())?,
        ],
        click: a.click.map_or(0, |c| c.code()),
        country: e.geo.country.unwrap_or([0, 0]),
        region: s.opt(e.geo.region.as_deref())?,
        city: s.opt(e.geo.city.as_deref())?,
        device: e.ua.device.code(),
        browser: s.intern(&e.ua.browser)?,
        browser_version: s.intern(&e.ua.browser_version)?,
        os: s.intern(&e.ua.os)?,
        os_version: s.intern(&e.ua.os_version)?,
        events: Vec::new(),
    })
}
