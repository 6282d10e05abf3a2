//! What the scan engine and filters read of a visit, whether it comes from a
//! visit row ([`SessionRecord`]) or a day segment's columns
//! ([`super::segment::SegVisit`]). One implementation of the report rules
//! runs on both, so both layouts give the same numbers.

use super::{
    query::Dimension,
    values::{event_raw, visit_raw},
};
use crate::store::{
    RollupSums,
    record::{Engagement, Revenue, SessionRecord},
};

/// Where events are summed: a plain [`RollupSums`] or a report group's
/// accumulator (which keeps revenue and engagement apart until it has some).
pub trait EventSums {
    /// Counts one event.
    fn event(&mut self, pageview: bool);
    /// Adds one event's revenue.
    fn revenue(&mut self, r: Revenue);
    /// Adds one pageview's engagement.
    fn engagement(&mut self, g: Engagement);
}

impl EventSums for RollupSums {
    fn event(&mut self, pageview: bool) {
        self.events += 1;
        self.pageviews += u64::from(pageview);
    }
    fn revenue(&mut self, r: Revenue) {
        self.revenue.add(r.currency, r.amount_micros, 1);
    }
    fn engagement(&mut self, g: Engagement) {
        self.add_engagement(g);
    }
}

/// One visit and its events; events are numbered `0..events()` in time order.
pub trait VisitRow {
    /// Raw value of a visit-level dimension (see [`visit_raw`]).
    fn visit_raw(&self, d: &Dimension) -> u64;
    /// Number of events.
    fn events(&self) -> usize;
    /// Raw value of a dimension on event `j` (see [`event_raw`]).
    fn event_raw(&self, j: usize, d: &Dimension, prop_key: u32) -> u64;
    /// Whether event `j` is a pageview.
    fn pageview(&self, j: usize) -> bool;
    /// Revenue and engagement of event `j`.
    fn extras(&self, j: usize) -> (Option<Revenue>, Option<Engagement>);
    /// Plausible's bounce rule (see [`SessionRecord::is_bounce`]).
    fn is_bounce(&self) -> bool;
    /// Time between the first and last event, ms.
    fn duration_ms(&self) -> u64;

    /// Adds event `j` to `sums`: events, pageviews, revenue, engagement.
    fn add_event(&self, j: usize, sums: &mut impl EventSums) {
        sums.event(self.pageview(j));
        let (revenue, engagement) = self.extras(j);
        if let Some(r) = revenue {
            sums.revenue(r);
        }
        if let Some(g) = engagement {
            sums.engagement(g);
        }
    }

    /// Adds every event to `sums` (as [`Self::add_event`] each).
    fn add_all_events(&self, sums: &mut RollupSums) {
        for j in 0..self.events() {
            self.add_event(j, sums);
        }
    }
}

impl VisitRow for SessionRecord {
    fn visit_raw(&self, d: &Dimension) -> u64 {
        visit_raw(d, self)
    }
    fn events(&self) -> usize {
        self.events.len()
    }
    fn event_raw(&self, j: usize, d: &Dimension, prop_key: u32) -> u64 {
        event_raw(d, &self.events[j], self, prop_key)
    }
    fn pageview(&self, j: usize) -> bool {
        self.events[j].pageview
    }
    fn extras(&self, j: usize) -> (Option<Revenue>, Option<Engagement>) {
        let e = &self.events[j];
        (e.revenue, e.engagement)
    }
    fn is_bounce(&self) -> bool {
        SessionRecord::is_bounce(self)
    }
    fn duration_ms(&self) -> u64 {
        SessionRecord::duration_ms(self)
    }
}
