//! The scan engine: one sequential pass over a range of visit rows computes
//! any combination of dimensions, filters and metrics exactly. Rollups are
//! built by this same code, so both paths agree by construction.

use std::{
    collections::{HashMap, HashSet},
    ops::ControlFlow,
};

use super::{
    filter::Compiled,
    query::Dimension,
    values::{Texts, event_raw, time_bucket, visit_raw},
};
use crate::{
    domain::{SiteId, Timezone},
    ingest::session::local_day,
    store::{ReadView, RollupSums, StoreError, record::SessionRecord},
};

/// Dimension values of one group, padded with zeros.
pub type GroupKey = [u64; 4];

#[derive(Default)]
struct Acc {
    visitors: HashSet<u64>,
    sums: RollupSums,
    last_session: u64,
}

impl Acc {
    fn finish(mut self) -> RollupSums {
        self.sums.visitors = self.visitors.len() as u64;
        self.sums
    }
}

/// One grouping computed during a scan.
pub struct Grouping {
    dims: Vec<Dimension>,
    prop_keys: Vec<u32>,
    event_level: bool,
    accs: HashMap<GroupKey, Acc>,
}

impl Grouping {
    /// Groups by `dims` (empty for the total). `texts` resolves property keys.
    ///
    /// # Errors
    /// Storage errors.
    pub fn new(dims: Vec<Dimension>, texts: &Texts<'_>) -> Result<Self, StoreError> {
        let prop_keys = dims
            .iter()
            .map(|d| match d {
                Dimension::Prop(k) => texts.id_of(k).map(|o| o.unwrap_or(0)),
                _ => Ok(0),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            event_level: dims.iter().any(Dimension::is_event_level),
            dims,
            prop_keys,
            accs: HashMap::new(),
        })
    }

    /// The sums per group.
    #[must_use]
    pub fn finish(self) -> HashMap<GroupKey, RollupSums> {
        self.accs
            .into_iter()
            .map(|(k, a)| (k, a.finish()))
            .collect()
    }
}

/// Scans visits of `site` starting in `[from_ms, to_ms)` into every grouping.
///
/// Semantics (documented in the README): a visit and all its events count in
/// the period where the visit started; visitors are distinct per local day;
/// with an event-level filter a visit counts if any of its events matches, and
/// only matching events count as pageviews/events.
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn scan(
    view: &ReadView,
    site: SiteId,
    tz: Timezone,
    from_ms: u64,
    to_ms: u64,
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
) -> Result<(), StoreError> {
    let mut matched: Vec<bool> = Vec::new();
    view.for_each_session(site, from_ms, to_ms, |key, bytes| {
        let rec = match SessionRecord::decode(bytes) {
            Ok(r) => r,
            Err(e) => return ControlFlow::Break(e.into()),
        };
        match visit(
            &rec,
            key.start_ms,
            key.id,
            tz,
            filter,
            groupings,
            &mut matched,
        ) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    })
}

fn visit(
    rec: &SessionRecord,
    start_ms: u64,
    id: u64,
    tz: Timezone,
    filter: Option<&Compiled<'_>>,
    groupings: &mut [Grouping],
    matched: &mut Vec<bool>,
) -> Result<(), StoreError> {
    matched.clear();
    match filter {
        None => matched.resize(rec.events.len(), true),
        Some(f) if f.has_event_leaf => {
            for e in &rec.events {
                matched.push(f.eval(rec, Some(e))?);
            }
            if !matched.iter().any(|m| *m) {
                return Ok(());
            }
        }
        Some(f) => {
            if !f.eval(rec, None)? {
                return Ok(());
            }
            matched.resize(rec.events.len(), true);
        }
    }
    let day = u64::from(local_day(start_ms, tz));
    // Visitor ids are daily; pairing them with the day keeps "distinct per day".
    let visitor = rec.visitor ^ day.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let bounce = u64::from(rec.is_bounce());
    let duration = rec.duration_ms();
    for g in groupings.iter_mut() {
        let mut key: GroupKey = [0; 4];
        for (i, d) in g.dims.iter().enumerate() {
            if d.is_time() {
                key[i] = time_bucket(d, start_ms, tz);
            } else if !d.is_event_level() {
                key[i] = visit_raw(d, rec);
            }
        }
        if g.event_level {
            for (e, _) in rec.events.iter().zip(matched.iter()).filter(|(_, m)| **m) {
                if g.dims.contains(&Dimension::Page) && !e.pageview {
                    continue;
                }
                let mut k = key;
                for (i, d) in g.dims.iter().enumerate() {
                    if d.is_event_level() {
                        k[i] = event_raw(d, e, rec, g.prop_keys[i]);
                    }
                }
                if g.dims
                    .iter()
                    .zip(&k)
                    .any(|(d, v)| matches!(d, Dimension::Prop(_)) && *v == 0)
                {
                    continue;
                }
                let acc = g.accs.entry(k).or_default();
                acc.sums.events += 1;
                acc.sums.pageviews += u64::from(e.pageview);
                acc.visitors.insert(visitor);
                if acc.last_session != id {
                    acc.last_session = id;
                    acc.sums.visits += 1;
                    acc.sums.bounces += bounce;
                    acc.sums.duration_ms += duration;
                }
            }
        } else {
            let acc = g.accs.entry(key).or_default();
            acc.visitors.insert(visitor);
            acc.sums.visits += 1;
            acc.sums.bounces += bounce;
            acc.sums.duration_ms += duration;
            for (e, _) in rec.events.iter().zip(matched.iter()).filter(|(_, m)| **m) {
                acc.sums.events += 1;
                acc.sums.pageviews += u64::from(e.pageview);
            }
        }
    }
    Ok(())
}
