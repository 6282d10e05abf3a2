//! Per-lead facts gathered from visits in one scan: first touches for the
//! revenue report, and the events that scoring rules look at.

use std::collections::{BTreeMap, HashMap};

use super::{
    Key,
    report::{ReportError, supports},
};
use crate::{
    domain::money::{Revenues, code_str, parse_code},
    privacy::{Keys, ids::uid_visitor},
    stats::{
        query::Dimension,
        segment::{Need, Part, for_each_part, for_each_visit},
        values::{DIRECT, Texts},
    },
    store::{Conversion, ConversionKind, Lead, Site, Store, StoreError, record::SessionRecord},
};

/// Which lead each linked visitor id belongs to (index into `leads`).
pub(super) fn lead_owners(keys: &Keys, leads: &[Lead]) -> HashMap<u64, usize> {
    let mut owner = HashMap::new();
    for (i, l) in leads.iter().enumerate() {
        for s in &l.subjects {
            if let Some(s) = hex::decode(s)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            {
                owner.insert(uid_visitor(keys, &s), i);
            }
        }
    }
    owner
}

/// How far before the period first visits are looked for (revenue report).
pub const FIRST_TOUCH_HORIZON_MS: u64 = 365 * 86_400_000;

/// The revenue report of leads that became leads in `[from_ms, to_ms)`, their
/// first touch keyed by `dimension` (looked for up to a year before the
/// period); returns it with the text of each key.
///
/// # Errors
/// [`ReportError::Invalid`] for a dimension touchpoints don't have.
pub fn revenue(
    store: &Store,
    keys: &Keys,
    site: &Site,
    dimension: &Dimension,
    from_ms: u64,
    to_ms: u64,
) -> Result<(super::revenue::RevenueReport, BTreeMap<Key, String>), ReportError> {
    if !supports(dimension) {
        return Err(ReportError::Invalid(format!(
            "touchpoints can't be grouped by {dimension}"
        )));
    }
    let leads = store.leads(site.id)?;
    let owner = lead_owners(keys, &leads);
    let mut first: Vec<Option<(Key, u64)>> = vec![None; leads.len()];
    let view = store.read()?;
    for_each_visit(
        &view,
        site,
        (from_ms.saturating_sub(FIRST_TOUCH_HORIZON_MS), to_ms),
        dimension,
        |start_ms, visitor, raw| {
            if let Some(&i) = owner.get(&visitor)
                && first[i].is_none_or(|(_, at)| start_ms < at)
            {
                first[i] = Some((u32::try_from(raw).unwrap_or(0), start_ms));
            }
        },
    )?;
    let conversions = store.conversions(site.id, 0, to_ms)?;
    // Amounts in one currency (see `domain::money`); purchases in currencies
    // without a rate are left out of the amounts and named.
    let money = site.money();
    let code_of = |c: &Conversion| {
        c.currency
            .as_deref()
            .and_then(parse_code)
            .filter(|_| c.kind == ConversionKind::Purchase && c.net_micros() != 0)
    };
    let mut by_currency = Revenues::default();
    for c in &conversions {
        if let Some(code) = code_of(c) {
            by_currency.add(code, c.net_micros(), 1);
        }
    }
    let target = money.target(&by_currency);
    let mut left_out = Revenues::default();
    // Each purchase's value in `target`; `None` when it can't be converted.
    let values: Vec<Option<f64>> = conversions
        .iter()
        .map(|c| {
            let code = code_of(c)?;
            let v = target.and_then(|t| money.amount_in(code, c.net_micros(), t));
            if v.is_none() {
                left_out.add(code, c.net_micros(), 1);
            }
            v
        })
        .collect();
    // Each lead's purchases, grouped once (not a pass over every
    // conversion per lead).
    let mut purchases: HashMap<&str, Vec<(u64, f64)>> = HashMap::new();
    for (c, v) in conversions.iter().zip(&values) {
        if c.kind == ConversionKind::Purchase
            && let Some(v) = v
        {
            purchases
                .entry(c.lead.as_str())
                .or_default()
                .push((c.at_ms, *v));
        }
    }
    let facts: Vec<super::revenue::LeadFacts> = leads
        .iter()
        .zip(first)
        .map(|(l, first_touch)| super::revenue::LeadFacts {
            became_lead_ms: l.first_ms,
            first_touch,
            purchases: purchases.remove(l.id.as_str()).unwrap_or_default(),
        })
        .collect();
    let mut report = super::revenue::revenue_report(&facts, from_ms, to_ms);
    report.currency = target.map(code_str);
    #[allow(clippy::cast_precision_loss)]
    {
        report.not_converted = left_out
            .iter()
            .map(|&(c, micros, n)| (code_str(c), micros as f64 / 1e6, n))
            .collect();
    }
    let texts = Texts::new(&view);
    let mut labels = BTreeMap::new();
    for k in report.ltv_by_first_touch.keys().flatten() {
        let t = texts.text(dimension, u64::from(*k))?;
        labels.insert(*k, if t.is_empty() { DIRECT.to_owned() } else { t });
    }
    Ok((report, labels))
}

/// Every lead's scoring occurrences (the events of its visits, oldest first),
/// from one scan of the site's visits.
///
/// # Errors
/// Storage errors.
pub fn lead_occurrences(
    store: &Store,
    keys: &Keys,
    site: &Site,
    leads: &[Lead],
) -> Result<Vec<Vec<super::scoring::Occurrence>>, ReportError> {
    let owner = lead_owners(keys, leads);
    if owner.is_empty() {
        return Ok(vec![Vec::new(); leads.len()]);
    }
    let view = store.read()?;
    Ok(occurrences_by_visitor(&view, site, &owner, leads.len())?)
}

/// The scoring occurrences of the visitors in `owner`, gathered per owner
/// (`n` of them, numbered as `owner`'s values), each oldest first: day
/// segments for completed days, rows for the rest.
///
/// # Errors
/// Storage errors.
pub fn occurrences_by_visitor(
    view: &crate::store::ReadView,
    site: &Site,
    owner: &HashMap<u64, usize>,
    n: usize,
) -> Result<Vec<Vec<super::scoring::Occurrence>>, StoreError> {
    let mut out = vec![Vec::new(); n];
    let texts = Texts::new(view);
    let need = Need {
        events: true,
        extras: true,
        visitor_ids: true,
        offsets: true,
        ..Need::default()
    };
    for_each_part(
        view,
        (site.id, site.timezone),
        (0, u64::MAX),
        &need,
        |part| match part {
            Part::Rows(from, to) => {
                rows_occurrences(view, &texts, site, (from, to), owner, &mut out)
            }
            Part::Segment(seg) => {
                let text = |id: u32| texts.string(id);
                for i in 0..seg.visits {
                    let Some(&l) = owner.get(&seg.visitor_id(i)) else {
                        continue;
                    };
                    for k in seg.events_of(i) {
                        let (path, name, pageview) = seg.event(k);
                        out[l].push(super::scoring::Occurrence {
                            at_ms: seg.start_ms(i) + u64::from(seg.event_offset(k)),
                            name: if pageview { None } else { Some(text(name)?) },
                            path: text(path)?,
                            props: seg
                                .event_props(k)
                                .iter()
                                .map(|(k, v)| Ok((text(*k)?, text(*v)?)))
                                .collect::<Result<_, StoreError>>()?,
                        });
                    }
                }
                Ok(())
            }
        },
    )?;
    for o in &mut out {
        o.sort_by_key(|x| x.at_ms);
    }
    Ok(out)
}

/// [`lead_occurrences`] from the visit rows of `[from, to)`.
fn rows_occurrences(
    view: &crate::store::ReadView,
    texts: &Texts<'_>,
    site: &Site,
    (from, to): (u64, u64),
    owner: &HashMap<u64, usize>,
    out: &mut [Vec<super::scoring::Occurrence>],
) -> Result<(), StoreError> {
    let mut rec = SessionRecord::default();
    let mut failed = None;
    view.for_each_session(site.id, from, to, |key, bytes| {
        // The visitor is in the header: decode the events of leads' visits only.
        let rest = match rec.decode_header(bytes) {
            Ok(rest) => rest,
            Err(e) => return std::ops::ControlFlow::Break(e.into()),
        };
        let Some(&i) = owner.get(&rec.visitor) else {
            return std::ops::ControlFlow::Continue(());
        };
        if let Err(e) = rec.decode_events(rest, bytes.len()) {
            return std::ops::ControlFlow::Break(e.into());
        }
        match occurrences(texts, key.start_ms, &rec) {
            Ok(o) => out[i].extend(o),
            Err(e) => {
                failed = Some(e);
                return std::ops::ControlFlow::Break(StoreError::Stopped("scoring"));
            }
        }
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| failed.take().unwrap_or(e))
}

/// The events of one visit as scoring sees them.
///
/// # Errors
/// Storage errors while reading texts.
pub fn occurrences(
    texts: &Texts<'_>,
    start_ms: u64,
    rec: &SessionRecord,
) -> Result<Vec<super::scoring::Occurrence>, StoreError> {
    let text = |id: u32| texts.string(id);
    rec.events
        .iter()
        .map(|e| {
            Ok(super::scoring::Occurrence {
                at_ms: start_ms + u64::from(e.offset_ms),
                name: if e.pageview {
                    None
                } else {
                    Some(text(e.name)?)
                },
                path: text(e.path)?,
                props: e
                    .props
                    .iter()
                    .map(|(k, v)| Ok((text(*k)?, text(*v)?)))
                    .collect::<Result<_, StoreError>>()?,
            })
        })
        .collect()
}

/// Which of `leads` have a visit whose `dimension` reads `value` (the leads
/// behind a row of the attribution report).
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn leads_touching(
    store: &Store,
    keys: &Keys,
    site: &Site,
    leads: &[Lead],
    dimension: &Dimension,
    value: &str,
) -> Result<std::collections::HashSet<usize>, StoreError> {
    let owner = lead_owners(keys, leads);
    let mut out = std::collections::HashSet::new();
    if owner.is_empty() {
        return Ok(out);
    }
    let view = store.read()?;
    // Each lead's visits' values first, texts compared once per value after.
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    for_each_visit(&view, site, (0, u64::MAX), dimension, |_, visitor, raw| {
        if let Some(&i) = owner.get(&visitor) {
            seen.entry(raw).or_default().push(i);
        }
    })?;
    let texts = Texts::new(&view);
    for (raw, leads) in seen {
        let t = texts.text(dimension, raw)?;
        if t == value || (t.is_empty() && value == DIRECT) {
            out.extend(leads);
        }
    }
    Ok(out)
}
