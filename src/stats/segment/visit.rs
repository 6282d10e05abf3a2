//! A segment's visit read through [`VisitRow`].

use super::{DaySegment, EV_PAGEVIEW, Extra, F_BOUNCE, F_EXTRAS, VISIT_DIMS, slot};
use crate::{
    stats::{query::Dimension, visit::VisitRow},
    store::{
        RollupSums,
        record::{Engagement, Revenue},
    },
};

/// Visit `i` of a loaded [`DaySegment`].
pub struct SegVisit<'s> {
    seg: &'s DaySegment,
    i: usize,
    /// Index of its first event in the day.
    first: usize,
    events: usize,
}

impl<'s> SegVisit<'s> {
    pub(crate) fn new(seg: &'s DaySegment, i: usize) -> Self {
        let first = seg.ev_start[i] as usize;
        Self {
            seg,
            i,
            first,
            events: seg.ev_start[i + 1] as usize - first,
        }
    }

    fn has_extras(&self) -> bool {
        self.seg.flags[self.i] & F_EXTRAS != 0
    }

    fn extra(&self, j: usize) -> Option<&'s Extra> {
        if !self.has_extras() {
            return None;
        }
        let at = u32::try_from(self.first + j).ok()?;
        let x = &self.seg.extras;
        x.binary_search_by_key(&at, |(i, _)| *i)
            .ok()
            .map(|k| &x[k].1)
    }
}

impl VisitRow for SegVisit<'_> {
    fn visit_raw(&self, d: &Dimension) -> u64 {
        slot(d).map_or(0, |s| {
            let column = self.seg.dims[s]
                .as_ref()
                .expect("segment scan loads every dimension it reads");
            u64::from(column[self.i])
        })
    }

    fn events(&self) -> usize {
        self.events
    }

    fn event_raw(&self, j: usize, d: &Dimension, prop_key: u32) -> u64 {
        let at = self.first + j;
        match d {
            Dimension::Page => u64::from(self.seg.ev_path[at]),
            Dimension::Name => u64::from(self.seg.ev_name[at]),
            Dimension::Hostname => self.visit_raw(&VISIT_DIMS[VISIT_DIMS.len() - 1]),
            Dimension::Prop(_) => self.extra(j).map_or(0, |x| {
                x.props
                    .iter()
                    .find(|(k, _)| *k == prop_key && prop_key != 0)
                    .map_or(0, |(_, v)| u64::from(*v))
            }),
            Dimension::Currency => self.extra(j).and_then(|x| x.revenue).map_or(0, |r| {
                u64::from(u32::from_be_bytes([
                    0,
                    r.currency[0],
                    r.currency[1],
                    r.currency[2],
                ]))
            }),
            other => self.visit_raw(other),
        }
    }

    fn pageview(&self, j: usize) -> bool {
        self.seg.ev_flags[self.first + j] & EV_PAGEVIEW != 0
    }

    fn extras(&self, j: usize) -> (Option<Revenue>, Option<Engagement>) {
        self.extra(j)
            .map_or((None, None), |x| (x.revenue, x.engagement))
    }

    fn is_bounce(&self) -> bool {
        self.seg.flags[self.i] & F_BOUNCE != 0
    }

    fn duration_ms(&self) -> u64 {
        u64::from(self.seg.duration[self.i])
    }

    fn add_all_events(&self, sums: &mut RollupSums) {
        sums.events += self.events as u64;
        sums.pageviews += u64::from(self.seg.pageviews[self.i]);
        if self.has_extras() {
            for j in 0..self.events {
                let (revenue, engagement) = self.extras(j);
                if let Some(r) = revenue {
                    sums.revenue.add(r.currency, r.amount_micros, 1);
                }
                if let Some(g) = engagement {
                    sums.add_engagement(g);
                }
            }
        }
    }
}
