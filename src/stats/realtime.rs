//! Who is on a site right now: visitors with an event in the last five
//! minutes, and the page each is on (the path of their latest pageview).

use std::collections::{HashMap, HashSet};

use crate::{
    domain::SiteId,
    ingest::session::SESSION_TIMEOUT_MS,
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
}

/// Current activity on `site` at `now_ms`.
///
/// # Errors
/// Storage errors or a corrupt visit.
pub fn current(view: &ReadView, site: SiteId, now_ms: u64) -> Result<Realtime, StoreError> {
    let mut visitors = HashSet::new();
    let mut on_page: HashMap<u64, (u64, u32)> = HashMap::new();
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
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for (_, path) in on_page.into_values() {
        *counts.entry(path).or_default() += 1;
    }
    let mut pages = counts
        .into_iter()
        .map(|(p, n)| Ok((view.string(p)?, n)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    pages.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Realtime {
        visitors: visitors.len(),
        pages,
    })
}
