//! Funnels: ordered steps (a page, `*` matching anything, or a custom event)
//! that a visit completes in order. A visit reaches step k when steps 1..k
//! happen in that order within it (other events may come between). Counted in
//! visits, overall and per value of a visit dimension (e.g. source).

use std::collections::{BTreeMap, HashMap};

use regex::Regex;

use super::{
    query::Dimension,
    values::{Texts, visit_raw},
};
use crate::{
    domain::{
        SiteId,
        text::{self, Field},
    },
    store::{ReadView, StoreError, record::EventRecord},
};

/// Most steps in a funnel.
pub const MAX_STEPS: usize = 8;

/// One step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A pageview of a path (`*` matches any run of characters).
    Page(String),
    /// A custom event by name.
    Event(String),
}

/// A step made ready to test events quickly.
enum Matcher {
    Page(Regex, HashMap<u32, bool>),
    Event(Option<u32>),
}

impl Matcher {
    fn new(step: &Step, texts: &Texts<'_>) -> Result<Self, StoreError> {
        Ok(match step {
            Step::Page(p) => {
                let re = super::filter::page_pattern(p);
                Self::Page(
                    Regex::new(&re).expect("an escaped pattern is a valid regex"),
                    HashMap::new(),
                )
            }
            Step::Event(n) => Self::Event(texts.id_of(&text::filter_value(Field::Name, n))?),
        })
    }

    fn hit(&mut self, e: &EventRecord, texts: &Texts<'_>) -> Result<bool, StoreError> {
        Ok(match self {
            Self::Event(id) => !e.pageview && Some(e.name) == *id,
            Self::Page(re, cache) if e.pageview => match cache.get(&e.path) {
                Some(b) => *b,
                None => {
                    let b = re.is_match(&texts.string(e.path)?);
                    cache.insert(e.path, b);
                    b
                }
            },
            Self::Page(..) => false,
        })
    }
}

/// How many of `steps` a visit's events complete, in order.
fn reached(
    ms: &mut [Matcher],
    events: &[EventRecord],
    texts: &Texts<'_>,
) -> Result<usize, StoreError> {
    let mut k = 0;
    for e in events {
        if k == ms.len() {
            break;
        }
        if ms[k].hit(e, texts)? {
            k += 1;
        }
    }
    Ok(k)
}

/// Visits reaching each step, overall and by dimension value (text).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunnelCounts {
    /// Visits that reached step k (index k − 1).
    pub total: Vec<u64>,
    /// The same per dimension value.
    pub by: BTreeMap<String, Vec<u64>>,
}

/// Counts the funnel over visits of `site` starting in `[from_ms, to_ms)`.
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn funnel(
    view: &ReadView,
    site: SiteId,
    from_ms: u64,
    to_ms: u64,
    steps: &[Step],
    by: Option<&Dimension>,
) -> Result<FunnelCounts, StoreError> {
    let _slot = super::gate::enter(view);
    let texts = Texts::new(view);
    let mut ms: Vec<Matcher> = steps
        .iter()
        .map(|s| Matcher::new(s, &texts))
        .collect::<Result<_, _>>()?;
    let mut total = vec![0u64; steps.len()];
    let mut per: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut failed = None;
    view.for_each_visit(site, from_ms, to_ms, |_, rec| {
        let k = match reached(&mut ms, &rec.events, &texts) {
            Ok(k) => k,
            Err(e) => {
                failed = Some(e);
                return std::ops::ControlFlow::Break(StoreError::Stopped("funnel"));
            }
        };
        for t in total.iter_mut().take(k) {
            *t += 1;
        }
        if let Some(d) = by {
            let row = per
                .entry(visit_raw(d, rec))
                .or_insert_with(|| vec![0; steps.len()]);
            for t in row.iter_mut().take(k) {
                *t += 1;
            }
        }
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| failed.take().unwrap_or(e))?;
    let mut out = FunnelCounts {
        total,
        by: BTreeMap::new(),
    };
    if let Some(d) = by {
        for (raw, counts) in per {
            if counts.first().copied().unwrap_or(0) == 0 {
                continue;
            }
            let t = texts.text(d, raw)?;
            let label = if t.is_empty() {
                super::values::DIRECT.to_owned()
            } else {
                t
            };
            let row = out.by.entry(label).or_insert_with(|| vec![0; steps.len()]);
            for (a, b) in row.iter_mut().zip(counts) {
                *a += b;
            }
        }
    }
    Ok(out)
}
