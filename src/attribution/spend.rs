//! Ad spend beside attributed revenue: spend joins a report's rows by the
//! campaign's UTM values, which gives each row its return on ad spend
//! under each model (ROAS = attributed revenue ÷ spend), its cost per
//! acquired lead (CAC = spend ÷ new leads credited) and its cost per
//! conversion (spend ÷ conversions credited), the definitions SegMetrics
//! and the ad platforms use.
//!
//! Which row a day's spend on (source, medium, campaign) counts toward:
//!
//! | report dimension | row |
//! | --- | --- |
//! | `visit:utm_campaign` | the campaign |
//! | `visit:utm_source` / `visit:utm_medium` | the source / medium |
//! | `visit:source` | the source a visit tagged with that `utm_source` has (`google` → Google) |
//! | `visit:channel` | the channel GA4's rules give that source, medium and campaign (`google`/`cpc` → Paid Search) |
//!
//! Other dimensions (referrer, landing page, country...) have no spend.
//! Spend counts on the local days of the report's period. It is shown in
//! the report's currency, converted at the site's rates; spend in a
//! currency without a rate is left out of the rows and named.

use std::collections::BTreeMap;

use super::report::{ReportQuery, ReportRow};
use crate::{
    domain::{
        calendar::local_day,
        money::{CurrencyCode, Revenues, code_str},
        spend::SpendKey,
    },
    ingest::acquisition::{channel_for, source_of_tag},
    stats::query::Dimension,
    store::{Site, Store, StoreError},
};

/// The period's spend.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendTotals {
    /// In `currency`.
    pub total: f64,
    /// The report's currency (or the spend's, in a report without revenue).
    pub currency: CurrencyCode,
    /// Spend that joined no row of the report's dimension's values (for
    /// `visit:utm_source`, spend rows without a source), in `currency`.
    pub unmatched: f64,
    /// Spend in currencies without a rate: (currency, amount).
    pub not_converted: Vec<(String, f64)>,
}

/// Whether spend joins reports by `dim`.
#[must_use]
pub fn joins(dim: &Dimension) -> bool {
    matches!(dim, Dimension::Channel | Dimension::Source) || utm_index(dim).is_some()
}

fn utm_index(dim: &Dimension) -> Option<u8> {
    match dim {
        Dimension::Utm(i @ 0..=2) => Some(*i),
        _ => None,
    }
}

/// The row label spend on `k` counts toward in a report by `dim` (see the
/// module doc); `None` when it joins none.
#[must_use]
pub fn label_for(dim: &Dimension, k: &SpendKey) -> Option<String> {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    match (dim, utm_index(dim)) {
        (_, Some(0)) => some(&k.source),
        (_, Some(1)) => some(&k.medium),
        (_, Some(_)) => some(&k.campaign),
        (Dimension::Source, _) => some(&k.source).map(|s| source_of_tag(&s)),
        (Dimension::Channel, _) => {
            fn opt(s: &str) -> Option<&str> {
                (!s.is_empty()).then_some(s)
            }
            let channel = channel_for(
                opt(&k.source),
                opt(&k.medium),
                Some(k.campaign.as_str()),
                None,
                false,
            );
            Some(channel.as_str().to_owned())
        }
        _ => None,
    }
}

/// Adds the period's spend to `rows` (a row with no credit for a value
/// with spend but no conversion) and answers its totals; `None` when spend
/// doesn't join `q.dimension` or there is none. `revenue_currency` is the
/// report's currency.
///
/// # Errors
/// Storage errors.
pub fn join(
    store: &Store,
    site: &Site,
    q: &ReportQuery,
    revenue_currency: Option<CurrencyCode>,
    rows: &mut Vec<ReportRow>,
) -> Result<Option<SpendTotals>, StoreError> {
    if !joins(&q.dimension) || q.to_ms <= q.from_ms {
        return Ok(None);
    }
    let (first, last) = (
        local_day(q.from_ms, site.timezone),
        local_day(q.to_ms - 1, site.timezone),
    );
    let spend = store.spend(site.id, first, last)?;
    if spend.is_empty() {
        return Ok(None);
    }
    let money = site.money();
    let mut by_currency = Revenues::default();
    for (_, a) in &spend {
        by_currency.add(a.currency, a.micros, 1);
    }
    let Some(currency) = revenue_currency.or_else(|| money.target(&by_currency)) else {
        return Ok(None);
    };
    let mut per_label: BTreeMap<String, f64> = BTreeMap::new();
    let mut totals = SpendTotals {
        total: 0.0,
        currency,
        unmatched: 0.0,
        not_converted: Vec::new(),
    };
    let mut left_out: BTreeMap<CurrencyCode, i64> = BTreeMap::new();
    for (k, a) in &spend {
        let Some(v) = money.amount_in(a.currency, a.micros, currency) else {
            *left_out.entry(a.currency).or_default() += a.micros;
            continue;
        };
        totals.total += v;
        match label_for(&q.dimension, k) {
            Some(label) => *per_label.entry(label).or_default() += v,
            None => totals.unmatched += v,
        }
    }
    #[allow(clippy::cast_precision_loss)]
    {
        totals.not_converted = left_out
            .into_iter()
            .map(|(c, m)| (code_str(c), m as f64 / 1e6))
            .collect();
    }
    for row in rows.iter_mut() {
        row.spend = Some(per_label.remove(&row.label).unwrap_or(0.0));
    }
    for (label, v) in per_label {
        rows.push(ReportRow {
            label,
            credits: vec![super::Credit::default(); q.models.len()],
            spend: Some(v),
        });
    }
    Ok(Some(totals))
}

/// `numerator ÷ spend`-style ratios: `None` when the divisor is 0.
#[must_use]
pub fn ratio(numerator: f64, divisor: f64) -> Option<f64> {
    (divisor > 0.0).then(|| numerator / divisor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(source: &str, medium: &str, campaign: &str) -> SpendKey {
        SpendKey {
            day: 0,
            source: source.into(),
            medium: medium.into(),
            campaign: campaign.into(),
        }
    }

    #[test]
    fn spend_joins_each_dimension_by_its_rule() {
        let k = key("google", "cpc", "spring");
        let label = |d: &str| label_for(&Dimension::parse(d).unwrap(), &k);
        assert_eq!(label("visit:utm_campaign").as_deref(), Some("spring"));
        assert_eq!(label("visit:utm_source").as_deref(), Some("google"));
        assert_eq!(label("visit:utm_medium").as_deref(), Some("cpc"));
        assert_eq!(label("visit:source").as_deref(), Some("Google"));
        assert_eq!(label("visit:channel").as_deref(), Some("Paid Search"));
        assert_eq!(label("visit:referrer"), None);
        let fb = key("facebook", "paid_social", "may");
        assert_eq!(
            label_for(&Dimension::Channel, &fb).as_deref(),
            Some("Paid Social")
        );
        assert_eq!(label_for(&Dimension::Source, &key("", "cpc", "x")), None);
    }
}
