//! Journeys from visits, and the attribution report over them.
//!
//! A conversion's journey is the visits of its lead — the visits of every
//! consent subject linked to the lead (a consenting visitor's visitor id is
//! stable across days) — that started within the lookback window before it,
//! each touchpoint keyed by the visit's value of the chosen dimension
//! (channel, source, a UTM field...). Without consent a visitor's id changes
//! every day, so only conversions of consenting visitors have multi-day
//! journeys; conversions from the API for people never seen on the site have
//! no touchpoints and are a row of their own, [`NO_VISIT`], under every model.
//!
//! Paths that did not convert (for the Markov model) are the visits, within
//! the reported period, of consenting visitors without a conversion in it,
//! grouped by visitor.

use std::collections::{BTreeMap, HashMap};

use super::{Credit, Journey, Key, Model, Touch, attribute};
use crate::{
    domain::{
        channel::Channel,
        money::{CurrencyCode, Revenues, code_str, parse_code},
    },
    privacy::{Keys, ids::uid_visitor},
    stats::{
        query::Dimension,
        segment::for_each_visit,
        values::{DIRECT, Texts},
    },
    store::{Conversion, ConversionKind, Goal, Site, Store, StoreError},
};

/// A site's attribution defaults (domain values: a site without a choice uses them).
pub use crate::domain::attribution::{DEFAULT_LOOKBACK_DAYS, DEFAULT_MODEL};

/// The row of conversions without a visit in their window (people never
/// seen on the site: the conversions API, Stripe), the same in every report.
pub const NO_VISIT: &str = "(no visit)";

/// What to report.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// Conversions in `[from_ms, to_ms)` are credited.
    pub from_ms: u64,
    /// See `from_ms`.
    pub to_ms: u64,
    /// What touchpoints are keyed by (a visit-level acquisition dimension).
    pub dimension: Dimension,
    /// Visits this long before a conversion are its touchpoints.
    pub lookback_ms: u64,
    /// Models, in output order.
    pub models: Vec<Model>,
    /// Which conversions count; `None` = every kind.
    pub kind: Option<ConversionKind>,
    /// A goal whose completions are the conversions instead (see
    /// [`super::goals`]); `kind` is then ignored.
    pub goal: Option<Goal>,
}

/// One row: a dimension value and its credit under each model.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The value's text.
    pub label: String,
    /// Credit per model, in query order.
    pub credits: Vec<Credit>,
    /// Ad spend on this value in the period, in the report's currency;
    /// `None` when spend doesn't join the dimension (see [`super::spend`]).
    pub spend: Option<f64>,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Rows, by first model's conversions, descending.
    pub rows: Vec<ReportRow>,
    /// Conversions credited.
    pub conversions: u64,
    /// Their revenue.
    pub revenue: f64,
    /// Its currency, when any revenue: the site's reporting currency, or
    /// the one most conversions were in.
    pub currency: Option<String>,
    /// Revenue of conversions in currencies without an exchange rate, left
    /// out of the values (the conversions still count): (currency, amount,
    /// conversions).
    pub not_converted: Vec<(String, f64, u32)>,
    /// Ad spend in the period, when spend joins the dimension.
    pub spend: Option<super::spend::SpendTotals>,
}

/// Why a report failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The question is wrong (mixed currencies, a dimension touchpoints don't have).
    #[error("{0}")]
    Invalid(String),
    /// Storage trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Dimensions a touchpoint can be keyed by.
#[must_use]
pub fn supports(d: &Dimension) -> bool {
    matches!(
        d,
        Dimension::Channel
            | Dimension::Source
            | Dimension::Referrer
            | Dimension::Utm(_)
            | Dimension::ClickId
            | Dimension::EntryPage
            | Dimension::Country
            | Dimension::Device
    )
}

/// Builds the report (one scan of the site's visits over the period and
/// the lookback before it).
///
/// # Errors
/// [`ReportError::Invalid`] for an unsupported dimension.
pub fn report(
    store: &Store,
    keys: &Keys,
    site: &Site,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    if !supports(&q.dimension) {
        return Err(ReportError::Invalid(format!(
            "touchpoints can't be grouped by {}",
            q.dimension
        )));
    }
    let conversions: Vec<_> = match &q.goal {
        Some(goal) => super::goals::goal_conversions(store, keys, site, goal, q.from_ms, q.to_ms)?,
        None => store
            .conversions(site.id, q.from_ms, q.to_ms)?
            .into_iter()
            .filter(|c| q.kind.is_none_or(|k| c.kind == k))
            .collect(),
    };
    // Values in one currency: the site's reporting currency (or the one most
    // conversions with revenue were in); others at the site's rates, or left
    // out of the values and named (they still count as conversions).
    let money = site.money();
    let mut by_currency = Revenues::default();
    for c in conversions.iter().filter(|c| c.net_micros() != 0) {
        if let Some(code) = c.currency.as_deref().and_then(parse_code) {
            by_currency.add(code, c.net_micros(), 1);
        }
    }
    let target = money.target(&by_currency);
    let value_of = |c: &Conversion| -> (f64, Option<(CurrencyCode, i64)>) {
        let code = c.currency.as_deref().and_then(parse_code);
        match (c.net_micros(), code, target) {
            (0, ..) | (_, None, _) | (_, _, None) => (0.0, None),
            (net, Some(code), Some(t)) => money
                .amount_in(code, net, t)
                .map_or((0.0, Some((code, net))), |v| (v, None)),
        }
    };
    // Each lead's visitor ids.
    let mut lead_visitors: HashMap<String, Vec<u64>> = HashMap::new();
    for lead in store.leads(site.id)? {
        let ids = lead
            .subjects
            .iter()
            .filter_map(|s| hex::decode(s).ok()?.try_into().ok())
            .map(|s: [u8; 32]| uid_visitor(keys, &s))
            .collect();
        lead_visitors.insert(lead.id, ids);
    }
    // A conversion's visitor ids: its lead's, and the visitor it happened to
    // (a tracker purchase; for a cookieless visitor, that day's id).
    let visitors_of = |c: &Conversion| -> Vec<u64> {
        let mut ids = lead_visitors.get(&c.lead).cloned().unwrap_or_default();
        if let Some(v) = c.visitor
            && !ids.contains(&v)
        {
            ids.push(v);
        }
        ids
    };
    let converting: std::collections::HashSet<u64> =
        conversions.iter().flat_map(visitors_of).collect();
    // Paths that didn't convert come from the same population: visitors who
    // accepted the first-party id (the only ones whose journeys can span
    // visits). Cookieless daily visitors are left out, which also keeps the
    // scan's memory to the consenting visitors.
    let consenting: std::collections::HashSet<u64> = store
        .consented_subjects(site.id)?
        .iter()
        .map(|s| uid_visitor(keys, s))
        .chain(converting.iter().copied())
        .collect();
    // Visits by visitor, in start order.
    let mut visits: HashMap<u64, Vec<Touch>> = HashMap::new();
    let view = store.read()?;
    let from = q.from_ms.saturating_sub(q.lookback_ms);
    for_each_visit(
        &view,
        site,
        (from, q.to_ms),
        &q.dimension,
        |start_ms, visitor, raw| {
            // Lookback visits matter only for converting visitors.
            let wanted = if start_ms >= q.from_ms {
                consenting.contains(&visitor)
            } else {
                converting.contains(&visitor)
            };
            if wanted {
                visits.entry(visitor).or_default().push(Touch {
                    key: u32::try_from(raw).unwrap_or(0),
                    at_ms: start_ms,
                });
            }
        },
    )?;
    let mut journeys = Vec::with_capacity(conversions.len());
    for c in &conversions {
        let mut touches: Vec<Touch> = visitors_of(c)
            .iter()
            .filter_map(|v| visits.get(v))
            .flatten()
            .filter(|t| t.at_ms <= c.at_ms && t.at_ms + q.lookback_ms >= c.at_ms)
            .copied()
            .collect();
        touches.sort_by_key(|t| t.at_ms);
        let (value, _) = value_of(c);
        let mut j = Journey::converted(touches, value, c.at_ms);
        if c.kind == ConversionKind::Lead {
            j.leads = 1.0;
        }
        journeys.push(j);
    }
    for (visitor, touches) in &visits {
        if !converting.contains(visitor) {
            let in_period: Vec<Touch> = touches
                .iter()
                .filter(|t| t.at_ms >= q.from_ms)
                .copied()
                .collect();
            if !in_period.is_empty() {
                journeys.push(Journey::not_converted(in_period));
            }
        }
    }
    // Conversions without a visit are no channel's: a row of their own.
    let mut unseen = Credit::default();
    journeys.retain(|j| {
        let none = j.conversions > 0.0 && j.touches.is_empty();
        if none {
            unseen.conversions += j.conversions;
            unseen.value += j.value;
            unseen.leads += j.leads;
        }
        !none
    });
    let direct: Key = if q.dimension == Dimension::Channel {
        u32::from(Channel::Direct.code())
    } else {
        0
    };
    let per_model: Vec<BTreeMap<Key, Credit>> = q
        .models
        .iter()
        .map(|m| attribute(*m, &journeys, direct))
        .collect();
    let mut keys_seen: Vec<Key> = per_model.iter().flat_map(|m| m.keys().copied()).collect();
    keys_seen.sort_unstable();
    keys_seen.dedup();
    let texts = Texts::new(&view);
    let mut rows = Vec::with_capacity(keys_seen.len());
    for k in keys_seen {
        let text = if k == super::OTHER {
            "(other)".to_owned()
        } else {
            texts.text(&q.dimension, u64::from(k))?
        };
        let label = if !text.is_empty() {
            text
        } else if k == direct {
            DIRECT.to_owned()
        } else {
            "(none)".to_owned()
        };
        rows.push(ReportRow {
            label,
            credits: per_model
                .iter()
                .map(|m| m.get(&k).copied().unwrap_or_default())
                .collect(),
            spend: None,
        });
    }
    if unseen.conversions > 0.0 {
        rows.push(ReportRow {
            label: NO_VISIT.to_owned(),
            credits: vec![unseen; q.models.len()],
            spend: None,
        });
    }
    rows.sort_by(|a, b| {
        let first = |r: &ReportRow| r.credits.first().map_or(0.0, |c| c.conversions);
        first(b)
            .total_cmp(&first(a))
            .then_with(|| a.label.cmp(&b.label))
    });
    let mut revenue = 0.0;
    let mut left_out = Revenues::default();
    for c in &conversions {
        let (v, not_converted) = value_of(c);
        revenue += v;
        if let Some((code, micros)) = not_converted {
            left_out.add(code, micros, 1);
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let not_converted = left_out
        .iter()
        .map(|&(c, micros, n)| (code_str(c), micros as f64 / 1e6, n))
        .collect();
    let spend = super::spend::join(store, site, q, target, &mut rows)?;
    Ok(Report {
        rows,
        conversions: conversions.len() as u64,
        revenue,
        currency: target.or(spend.as_ref().map(|s| s.currency)).map(code_str),
        not_converted,
        spend,
    })
}
