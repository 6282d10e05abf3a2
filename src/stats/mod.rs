//! Reports: a [`Query`] in, rows out. Unfiltered queries over whole days read
//! rollups for rolled-up days and scan only the rest; anything else is one scan.

mod batch;
mod buckets;
mod budget;
#[cfg(test)]
mod budget_tests;
mod clickhouse;
pub mod engine;
pub mod filter;
pub mod funnel;
pub mod gate;
mod groups;
pub mod imported;
pub mod live;
mod metrics;
#[cfg(test)]
mod page_tests;
mod parallel;
pub mod period;
pub mod props;
pub mod query;
pub mod realtime;
pub mod rollup;
pub mod segment;
pub mod values;
pub mod visit;

use std::collections::{BinaryHeap, HashMap};

use engine::GroupKey;
use parallel::scan_parallel;
use query::{Dimension, Direction, OrderKey, Query};
use values::Texts;

use metrics::micros_to_units;
pub use metrics::{Value, metric_value};

use crate::{
    domain::money::{CurrencyCode, MAX_CURRENCIES, code_str},
    store::{ReadView, RollupSums, StoreError},
};

/// One output row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Dimension values as text, in query order.
    pub dimensions: Vec<String>,
    /// Metric values, in query order.
    pub metrics: Vec<Value>,
    /// Currency of the row's revenue metrics.
    pub currency: Option<String>,
    raw_dims: GroupKey,
}

/// Rows plus what the API needs around them.
#[derive(Debug, Clone)]
pub struct Output {
    /// The page of rows.
    pub rows: Vec<Row>,
    /// Rows before pagination.
    pub total_rows: usize,
    /// Whether rollups answered part of the query (for the `meta` section).
    pub used_rollups: bool,
    /// Currency of revenue metrics, when they were asked for and any revenue
    /// matched (`None` with `event:currency` as a dimension: see each row).
    pub currency: Option<String>,
    /// Revenue left out of the revenue metrics for want of an exchange rate:
    /// (currency, amount in its units), of the whole query.
    pub not_converted: Vec<(String, f64)>,
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The query itself is wrong (bad regex...): a 400.
    #[error("{0}")]
    Invalid(String),
    /// Storage trouble: a 500.
    #[error(transparent)]
    Store(StoreError),
    /// The report would hold more memory than `storage.max_report_mb`
    /// allows: a 400 that says so.
    #[error(
        "this report needs more than {limit_mb} MiB of memory (storage.max_report_mb): choose a shorter period, add a filter or a dimension with fewer values, or raise the limit"
    )]
    TooLarge {
        /// The limit, MiB.
        limit_mb: usize,
    },
}

impl From<StoreError> for StatsError {
    /// A read past the report memory limit is [`StatsError::TooLarge`].
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::OverReportLimit { limit_bytes } => Self::TooLarge {
                limit_mb: limit_bytes >> 20,
            },
            e => Self::Store(e),
        }
    }
}

impl From<crate::store::clickhouse::ClickHouseError> for StatsError {
    fn from(e: crate::store::clickhouse::ClickHouseError) -> Self {
        Self::Store(StoreError::ClickHouse(e))
    }
}

/// Runs a query against a snapshot.
///
/// # Errors
/// [`StatsError::Invalid`] for a bad filter, else storage errors.
pub fn run(view: &ReadView, q: &Query) -> Result<Output, StatsError> {
    let mut out = run_many(view, std::slice::from_ref(q))?;
    Ok(out.remove(0))
}

/// Runs queries that share site, zone, range and filter (differing in
/// metrics, dimensions, order and pages) with at most one scan of the visits.
///
/// # Errors
/// As [`run`]; also [`StatsError::Invalid`] when the scopes differ.
pub fn run_many(view: &ReadView, qs: &[Query]) -> Result<Vec<Output>, StatsError> {
    let _slot = gate::enter(view);
    let texts = Texts::new(view);
    batch::parts(view, qs)?
        .into_iter()
        .zip(qs)
        .map(|(p, q)| output(&texts, q, p))
        .collect()
}

/// [`run_many`], with the site's imported statistics added to each query
/// that can use them when `imports` (the dashboard's toggle).
///
/// # Errors
/// As [`run_many`].
pub fn run_many_with(
    view: &ReadView,
    qs: &[Query],
    imports: bool,
) -> Result<Vec<Output>, StatsError> {
    if !imports {
        return run_many(view, qs);
    }
    let _slot = gate::enter(view);
    let texts = Texts::new(view);
    batch::parts(view, qs)?
        .into_iter()
        .zip(qs)
        .map(|(mut p, q)| {
            imported::add(view, &texts, q, &mut p)?;
            output(&texts, q, p)
        })
        .collect()
}

/// Runs a query with the site's imported statistics added where they can
/// be (see [`imported`]); also says why they were left out, if they were.
///
/// # Errors
/// As [`run`].
pub fn run_with_imports(
    view: &ReadView,
    q: &Query,
) -> Result<(Output, Option<imported::Skip>), StatsError> {
    let _slot = gate::enter(view);
    let texts = Texts::new(view);
    let mut p = batch::parts(view, std::slice::from_ref(q))?.remove(0);
    let skip = imported::add(view, &texts, q, &mut p)?;
    Ok((output(&texts, q, p)?, skip))
}

/// Rows of one query from its groups: texts, metrics, order, page.
fn output(texts: &Texts<'_>, q: &Query, p: batch::Parts) -> Result<Output, StatsError> {
    let batch::Parts {
        groups,
        total,
        used_rollups,
    } = p;
    if q.metrics.iter().any(|m| m.is_engagement())
        && !q.dimensions.contains(&Dimension::Page)
        && !q
            .filter
            .as_ref()
            .is_some_and(|f| f.mentions(&Dimension::Page))
    {
        return Err(StatsError::Invalid(
            "Metrics `time_on_page` and `scroll_depth` can only be queried with an event:page dimension or filter".into(),
        ));
    }
    let wants_revenue = q.metrics.iter().any(|m| m.is_revenue());
    if wants_revenue
        && (total.revenue.overflow > 0 || groups.values().any(|g| g.revenue.overflow > 0))
    {
        return Err(StatsError::Invalid(format!(
            "the matching revenue is in more than {MAX_CURRENCIES} currencies; group or filter by event:currency"
        )));
    }
    // Revenue is shown in one currency (see `domain::money`); with
    // `event:currency` as a dimension each row is in its own.
    let by_currency = q.dimensions.iter().position(|d| *d == Dimension::Currency);
    let target = q.money.target(&total.revenue).filter(|_| wants_revenue);
    let not_converted = match (target, by_currency) {
        (Some(t), None) => q.money.convert(&total.revenue, t).not_converted,
        _ => Vec::new(),
    }
    .into_iter()
    .map(|(c, micros)| (code_str(c), micros_to_units(micros)))
    .collect();
    let in_target = |sums: &RollupSums, own: Option<CurrencyCode>| {
        own.or(target)
            .map(|t| q.money.convert(&sums.revenue, t))
            .unwrap_or_default()
    };
    // Only the rows up to the end of the page are kept (a breakdown may
    // have a group per event): each group's row is made, counted and kept
    // if it sorts before the worst kept so far.
    let order = order_of(q);
    let keep = q.offset.saturating_add(q.limit);
    let mut page: BinaryHeap<Ranked<'_>> = BinaryHeap::new();
    let mut total_rows = 0;
    'groups: for (key, sums) in groups {
        let mut dims = Vec::with_capacity(q.dimensions.len());
        for (i, d) in q.dimensions.iter().enumerate() {
            let t = if d.is_time() {
                values::time_label(d, key[i], q.timezone)
            } else {
                texts.text(d, key[i])?
            };
            // Plausible leaves out groups with no value (no UTM, unknown city...).
            if t.is_empty() {
                continue 'groups;
            }
            dims.push(t);
        }
        let own = by_currency.and_then(|i| {
            let b = u32::try_from(key[i]).unwrap_or(0).to_be_bytes();
            Some([b[1], b[2], b[3]]).filter(|c| *c != [0; 3])
        });
        let revenue = in_target(&sums, own);
        let row = Row {
            dimensions: dims,
            metrics: q
                .metrics
                .iter()
                .map(|m| metric_value(*m, &sums, total.visitors, &revenue))
                .collect(),
            currency: own.or(target).filter(|_| wants_revenue).map(code_str),
            raw_dims: key,
        };
        total_rows += 1;
        let row = Ranked {
            row,
            q,
            order: &order,
        };
        if page.len() < keep {
            page.push(row);
        } else if page.peek().is_some_and(|worst| row < *worst) {
            page.pop();
            page.push(row);
        }
    }
    let mut rows: Vec<Row> = page.into_sorted_vec().into_iter().map(|r| r.row).collect();
    if q.dimensions.is_empty() && rows.is_empty() {
        let revenue = in_target(&total, None);
        rows.push(Row {
            dimensions: Vec::new(),
            metrics: q
                .metrics
                .iter()
                .map(|m| metric_value(*m, &total, total.visitors, &revenue))
                .collect(),
            currency: target.map(code_str),
            raw_dims: [0; 4],
        });
        total_rows = 1;
    }
    let rows = rows.into_iter().skip(q.offset).take(q.limit).collect();
    Ok(Output {
        rows,
        total_rows,
        used_rollups,
        currency: target.filter(|_| by_currency.is_none()).map(code_str),
        not_converted,
    })
}

type Order = Vec<(OrderKey, Direction)>;

/// The query's order: as asked, else by time, else by the first metric
/// (descending); ties by the dimensions' text.
fn order_of(q: &Query) -> Order {
    let mut order = q.order_by.clone();
    if order.is_empty() {
        if let Some(t) = q.dimensions.iter().find(|d| d.is_time()) {
            order.push((OrderKey::Dimension(t.clone()), Direction::Asc));
        } else if let Some(m) = q.metrics.first() {
            order.push((OrderKey::Metric(*m), Direction::Desc));
        }
    }
    order
}

/// Whether row `a` comes before `b` in `order`.
fn compare(a: &Row, b: &Row, q: &Query, order: &Order) -> std::cmp::Ordering {
    for (k, dir) in order {
        let o =
            match k {
                OrderKey::Metric(m) => q
                    .metrics
                    .iter()
                    .position(|x| x == m)
                    .map_or(std::cmp::Ordering::Equal, |i| {
                        a.metrics[i].as_f64().total_cmp(&b.metrics[i].as_f64())
                    }),
                OrderKey::Dimension(d) => q.dimensions.iter().position(|x| x == d).map_or(
                    std::cmp::Ordering::Equal,
                    |i| {
                        if d.is_time() {
                            values::bucket_order(a.raw_dims[i])
                                .cmp(&values::bucket_order(b.raw_dims[i]))
                        } else {
                            a.dimensions[i].cmp(&b.dimensions[i])
                        }
                    },
                ),
            };
        let o = if *dir == Direction::Desc {
            o.reverse()
        } else {
            o
        };
        if o.is_ne() {
            return o;
        }
    }
    a.dimensions.cmp(&b.dimensions)
}

/// A row ordered as its query sorts (greatest = last on the page).
struct Ranked<'q> {
    row: Row,
    q: &'q Query,
    order: &'q Order,
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        compare(&self.row, &other.row, self.q, self.order)
    }
}

impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked<'_> {}

type Groups = HashMap<GroupKey, RollupSums>;
