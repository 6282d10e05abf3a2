//! Who is on a site right now: visitors with an event in the last five
//! minutes, the page each is on (the path of their latest pageview), and
//! where they came from (the source and country of their latest visit).

use std::collections::{HashMap, HashSet};

use super::{
    query::Dimension,
    values::{Texts, visit_raw},
};
use crate::{
    domain::{SiteId, visit::SESSION_TIMEOUT_MS},
    store::{ReadView, StoreError, record::SessionRecord},
};

/// The realtime window.
pub const WINDOW_MS: u64 = 5 * 60 * 1000;

/// Current activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Realtime {
    /// Distinct visitors active in the window.
    pub visitors: usize,
    /// Pages those visitors are on, most visitors first.
    pub pages: Vec<(String, usize)>,
    /// Sources of their visits (`Direct / None` without one), most visitors first.
    pub sources: Vec<(String, usize)>,
    /// Countries of their visits as alpha-2 codes (unknown ones left out),
    /// most visitors first.
    pub countries: Vec<(String, usize)>,
}

/// A visitor's latest active visit: when it started, its source and country.
type Latest = (u64, u64, u64);

/// Current activity on `site` at `now_ms`.
///
/// # Errors
/// Storage errors or a corrupt visit.
pub fn current(view: &ReadView, site: SiteId, now_ms: u64) -> Result<Realtime, StoreError> {
    let mut visitors = HashSet::new();
    let mut on_page: HashMap<u64, (u64, u32)> = HashMap::new();
    let mut visits: HashMap<u64, Latest> = HashMap::new();
    // A visit active now started at most a day ago in practice; older starts
    // can't have events in the window.
    view.for_each_session(
        site,
        now_ms.saturating_sub(24 * 3_600_000 + SESSION_TIMEOUT_MS),
        now_ms + 1,
        |k, b| match SessionRecord::decode(b) {
            Ok(r) => {
                let last = k.start_ms + u64::from(r.last_offset_ms());
                if last + WINDOW_MS >= now_ms {
                    visitors.insert(r.visitor);
                    let latest = (
                        k.start_ms,
                        visit_raw(&Dimension::Source, &r),
                        visit_raw(&Dimension::Country, &r),
                    );
                    let slot = visits.entry(r.visitor).or_insert(latest);
                    if latest.0 >= slot.0 {
                        *slot = latest;
                    }
                    if let Some(e) = r.events.iter().rev().find(|e| e.pageview) {
                        let at = k.start_ms + u64::from(e.offset_ms);
                        let slot = on_page.entry(r.visitor).or_insert((at, e.path));
                        if at >= slot.0 {
                            *slot = (at, e.path);
                        }
                    }
                }
                std::ops::ControlFlow::Continue(())
            }
            Err(e) => std::ops::ControlFlow::Break(e.into()),
        },
    )?;
    let texts = Texts::new(view);
    let ranked = |dim: Dimension, raws: Vec<u64>| -> Result<Vec<(String, usize)>, StoreError> {
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for raw in raws {
            *counts.entry(raw).or_default() += 1;
        }
        let mut out = Vec::with_capacity(counts.len());
        for (raw, n) in counts {
            let text = texts.text(&dim, raw)?;
            if !text.is_empty() {
                out.push((text, n));
            }
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    };
    let pages = ranked(
        Dimension::Page,
        on_page.into_values().map(|(_, p)| u64::from(p)).collect(),
    )?;
    let (sources, countries) = visits.into_values().map(|(_, s, c)| (s, c)).unzip();
    Ok(Realtime {
        visitors: visitors.len(),
        pages,
        sources: ranked(Dimension::Source, sources)?,
        countries: ranked(Dimension::Country, countries)?,
    })
}
