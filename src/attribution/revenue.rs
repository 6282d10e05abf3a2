//! Revenue reports over leads: lifetime value by first-touch source, average
//! order value, new-lead revenue, how long people take from their first visit
//! to becoming a lead and to their first purchase, and monthly lead cohorts
//! with their cumulative revenue. Pure functions over per-lead facts.

use std::collections::BTreeMap;

use super::Key;

/// What the reports need to know about one lead.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadFacts {
    /// When the lead was first seen (became a lead), unix ms.
    pub became_lead_ms: u64,
    /// Their first visit's key (e.g. source) and time, when they have visits.
    pub first_touch: Option<(Key, u64)>,
    /// Their purchases: (unix ms, revenue net of refunds), any order.
    pub purchases: Vec<(u64, f64)>,
}

/// Lifetime value of the leads of one first-touch key.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ltv {
    /// Leads.
    pub leads: u64,
    /// Their revenue, all time.
    pub revenue: f64,
}

impl Ltv {
    /// Revenue per lead.
    #[must_use]
    pub fn per_lead(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        if self.leads == 0 {
            0.0
        } else {
            self.revenue / self.leads as f64
        }
    }
}

/// Bounds of the time-to buckets, ms: under an hour, a day, a week, 30 days, more.
pub const TIME_BUCKETS_MS: [u64; 4] = [3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];
/// Labels of the buckets.
pub const TIME_BUCKET_LABELS: [&str; 5] = [
    "< 1 hour",
    "< 1 day",
    "< 7 days",
    "< 30 days",
    "30 days or more",
];

fn bucket(d: u64) -> usize {
    TIME_BUCKETS_MS
        .iter()
        .position(|b| d < *b)
        .unwrap_or(TIME_BUCKETS_MS.len())
}

/// The revenue report of leads that became leads in `[from_ms, to_ms)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RevenueReport {
    /// Lifetime value by first-touch key (leads without visits under `None`).
    pub ltv_by_first_touch: BTreeMap<Option<Key>, Ltv>,
    /// Purchases in the period (by anyone), their revenue and the average.
    pub purchases: u64,
    /// See `purchases`.
    pub purchase_revenue: f64,
    /// Revenue in the period from leads who became leads in it.
    pub new_lead_revenue: f64,
    /// First visit → lead, counts per bucket.
    pub time_to_lead: [u64; 5],
    /// First visit → first purchase, counts per bucket.
    pub time_to_first_purchase: [u64; 5],
    /// Cohort month (`YYYY-MM` of becoming a lead) → (leads, cumulative revenue
    /// by month since, month 0 first, up to `to_ms`).
    pub cohorts: BTreeMap<String, (u64, Vec<f64>)>,
    /// Currency of every amount: the site's reporting currency, or the one
    /// most purchases were in.
    pub currency: Option<String>,
    /// Purchases in currencies without an exchange rate, left out of every
    /// amount: (currency, amount, purchases).
    pub not_converted: Vec<(String, f64, u32)>,
}

impl RevenueReport {
    /// Average order value in the period.
    #[must_use]
    pub fn average_order_value(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        if self.purchases == 0 {
            0.0
        } else {
            self.purchase_revenue / self.purchases as f64
        }
    }
}

fn month_of(ms: u64) -> (i32, u32) {
    use chrono::Datelike;
    let d = i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_default();
    (d.year(), d.month())
}

fn months_between(a: (i32, u32), b: (i32, u32)) -> usize {
    let n = (b.0 - a.0) * 12 + i32::try_from(b.1).unwrap_or(0) - i32::try_from(a.1).unwrap_or(0);
    usize::try_from(n).unwrap_or(0)
}

/// Builds the report (months are UTC calendar months).
#[must_use]
pub fn revenue_report(leads: &[LeadFacts], from_ms: u64, to_ms: u64) -> RevenueReport {
    let mut r = RevenueReport::default();
    let end_month = month_of(to_ms.saturating_sub(1));
    for l in leads {
        for &(at, v) in &l.purchases {
            if (from_ms..to_ms).contains(&at) {
                r.purchases += 1;
                r.purchase_revenue += v;
            }
        }
        if !(from_ms..to_ms).contains(&l.became_lead_ms) {
            continue;
        }
        let lifetime: f64 = l
            .purchases
            .iter()
            .filter(|p| p.0 < to_ms)
            .map(|p| p.1)
            .sum();
        let ltv = r
            .ltv_by_first_touch
            .entry(l.first_touch.map(|t| t.0))
            .or_default();
        ltv.leads += 1;
        ltv.revenue += lifetime;
        r.new_lead_revenue += l
            .purchases
            .iter()
            .filter(|p| (from_ms..to_ms).contains(&p.0))
            .map(|p| p.1)
            .sum::<f64>();
        if let Some((_, first)) = l.first_touch {
            r.time_to_lead[bucket(l.became_lead_ms.saturating_sub(first))] += 1;
            if let Some(p) = l.purchases.iter().map(|p| p.0).min() {
                r.time_to_first_purchase[bucket(p.saturating_sub(first))] += 1;
            }
        }
        let start = month_of(l.became_lead_ms);
        let months = months_between(start, end_month) + 1;
        let label = format!("{:04}-{:02}", start.0, start.1);
        let cohort = r
            .cohorts
            .entry(label)
            .or_insert_with(|| (0, vec![0.0; months]));
        cohort.0 += 1;
        for &(at, v) in l
            .purchases
            .iter()
            .filter(|p| p.0 < to_ms && p.0 >= l.became_lead_ms)
        {
            let k = months_between(start, month_of(at));
            for slot in cohort.1.iter_mut().skip(k) {
                *slot += v;
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;
    // 2024-01-15 00:00 UTC.
    const JAN15: u64 = 1_705_276_800_000;

    #[test]
    fn a_hand_computed_report() {
        let leads = [
            // From key 1, lead after 2 hours, buys 30 on day 3 and 20 in February.
            LeadFacts {
                became_lead_ms: JAN15 + 2 * 3_600_000,
                first_touch: Some((1, JAN15)),
                purchases: vec![(JAN15 + 3 * DAY, 30.0), (JAN15 + 35 * DAY, 20.0)],
            },
            // From key 1, lead after 10 days, never buys.
            LeadFacts {
                became_lead_ms: JAN15 + 10 * DAY,
                first_touch: Some((1, JAN15)),
                purchases: vec![],
            },
            // Through the API only: no visits; buys 100 at once.
            LeadFacts {
                became_lead_ms: JAN15,
                first_touch: None,
                purchases: vec![(JAN15, 100.0)],
            },
            // Became a lead before the period: its purchase still counts for AOV.
            LeadFacts {
                became_lead_ms: JAN15 - 60 * DAY,
                first_touch: Some((2, JAN15 - 61 * DAY)),
                purchases: vec![(JAN15 + DAY, 50.0)],
            },
        ];
        let r = revenue_report(&leads, JAN15, JAN15 + 60 * DAY);
        assert_eq!(
            r.ltv_by_first_touch[&Some(1)],
            Ltv {
                leads: 2,
                revenue: 50.0
            }
        );
        assert_eq!(r.ltv_by_first_touch[&Some(1)].per_lead(), 25.0);
        assert_eq!(
            r.ltv_by_first_touch[&None],
            Ltv {
                leads: 1,
                revenue: 100.0
            }
        );
        assert!(!r.ltv_by_first_touch.contains_key(&Some(2)));
        assert_eq!((r.purchases, r.purchase_revenue), (4, 200.0));
        assert_eq!(r.average_order_value(), 50.0);
        assert_eq!(r.new_lead_revenue, 150.0);
        assert_eq!(r.time_to_lead, [0, 1, 0, 1, 0]);
        assert_eq!(r.time_to_first_purchase, [0, 0, 1, 0, 0]);
        // January's cohort (3 leads): 130 in January, 150 by February, 150 by March.
        assert_eq!(r.cohorts["2024-01"], (3, vec![130.0, 150.0, 150.0]));
        assert_eq!(r.cohorts.len(), 1);
    }
}
