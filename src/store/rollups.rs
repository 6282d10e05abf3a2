//! Pre-aggregated days: one row per (site, local day, dimension, value) with the
//! additive sums reports need. Visitors are the day's distinct visitor ids, which
//! add up across days because ids themselves change every day.

use redb::ReadableTable;

use super::{
    Store, StoreError,
    codec::{CodecError, Reader, Writer},
    record::Engagement,
    tables::{DAY_VERSIONS, ROLLED_DAYS, ROLLUPS},
};
use crate::domain::{SiteId, money::Revenues};

/// Additive sums for one rollup row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupSums {
    /// Distinct visitors that day.
    pub visitors: u64,
    /// Visits.
    pub visits: u64,
    /// Pageviews.
    pub pageviews: u64,
    /// Events of every kind.
    pub events: u64,
    /// Visits that bounced.
    pub bounces: u64,
    /// Sum of visit durations, ms.
    pub duration_ms: u64,
    /// Revenue of matching events by currency (scans only; not in rollups).
    pub revenue: Revenues,
    /// Visible time of matching pageviews with engagement data, ms (scans only).
    pub engaged_ms: u64,
    /// Matching pageviews with engagement data (scans only).
    pub engaged_views: u32,
    /// Matching pageviews with a scroll depth (scans only).
    pub scroll_views: u32,
    /// Sum of their scroll depths, percent (scans only).
    pub scroll_sum: u64,
}

impl RollupSums {
    /// Adds another row into this one.
    pub fn add(&mut self, o: &Self) {
        self.visitors += o.visitors;
        self.visits += o.visits;
        self.pageviews += o.pageviews;
        self.events += o.events;
        self.bounces += o.bounces;
        self.duration_ms += o.duration_ms;
        self.revenue.add_all(&o.revenue);
        self.engaged_ms += o.engaged_ms;
        self.engaged_views += o.engaged_views;
        self.scroll_views += o.scroll_views;
        self.scroll_sum += o.scroll_sum;
    }

    /// Adds a pageview's engagement.
    pub fn add_engagement(&mut self, g: Engagement) {
        self.engaged_ms += u64::from(g.engaged_ms);
        self.engaged_views += 1;
        if let Some(s) = g.scroll {
            self.scroll_views += 1;
            self.scroll_sum += u64::from(s);
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(16);
        for v in [
            self.visitors,
            self.visits,
            self.pageviews,
            self.events,
            self.bounces,
            self.duration_ms,
        ] {
            w.u64(v);
        }
        w.finish()
    }

    fn decode(b: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(b);
        Ok(Self {
            visitors: r.u64()?,
            visits: r.u64()?,
            pageviews: r.u64()?,
            events: r.u64()?,
            bounces: r.u64()?,
            duration_ms: r.u64()?,
            ..Self::default()
        })
    }
}

/// One rollup row as read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupRow {
    /// Local day number (days since 1970-01-01 in the site's zone).
    pub day: u32,
    /// Dimension code (see `stats::rollup`).
    pub dim: u8,
    /// Dimension value (an interned id or an enum code).
    pub value: u32,
    /// The sums.
    pub sums: RollupSums,
}

impl Store {
    /// Replaces a day's rollup rows and segment columns and marks the day
    /// rolled up, atomically —
    /// unless the writer changed the day's visits since `version` was read with
    /// the rows' source data; then nothing is written and `false` returned (the
    /// next run rebuilds the day).
    ///
    /// # Errors
    /// Storage errors.
    pub fn put_rollup_day(
        &self,
        site: SiteId,
        day: u32,
        rows: &[(u8, u32, RollupSums)],
        segment: &[(u8, Vec<u8>)],
        version: u64,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        {
            let current = tx
                .open_table(DAY_VERSIONS)?
                .get((site.0, day))?
                .map_or(0, |v| v.value());
            if current != version {
                return Ok(false);
            }
            let mut table = tx.open_table(ROLLUPS)?;
            table.retain_in(
                (site.0, day, 0, 0)..=(site.0, day, u8::MAX, u32::MAX),
                |_, _| false,
            )?;
            for (dim, value, sums) in rows {
                table.insert((site.0, day, *dim, *value), sums.encode().as_slice())?;
            }
            super::segments::put(&tx, site, day, segment)?;
            tx.open_table(ROLLED_DAYS)?.insert((site.0, day), now_ms)?;
        }
        tx.commit()?;
        Ok(true)
    }
}

/// Decodes a rollup value.
pub(super) fn decode_sums(b: &[u8]) -> Result<RollupSums, StoreError> {
    Ok(RollupSums::decode(b)?)
}

/// Reads rows of one dimension for days in `[from, to]`.
pub(super) fn rows(
    table: &impl ReadableTable<(u32, u32, u8, u32), &'static [u8]>,
    site: SiteId,
    from: u32,
    to: u32,
    dim: u8,
    out: &mut Vec<RollupRow>,
) -> Result<(), StoreError> {
    for day in from..=to {
        for row in table.range((site.0, day, dim, 0)..=(site.0, day, dim, u32::MAX))? {
            let (k, v) = row?;
            let (_, day, dim, value) = k.value();
            out.push(RollupRow {
                day,
                dim,
                value,
                sums: decode_sums(v.value())?,
            });
        }
    }
    Ok(())
}
