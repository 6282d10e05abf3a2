//! How a view's filters become a stats filter: plain keys by their
//! dimension, goals by name against the site's goals, and the base of a
//! conversion rate (the view without its goal and custom-event filters).

use super::{CONVERSION_KEYS, GOAL_KEY, ViewState, filter_dimension};
use crate::{
    stats::query::{Dimension, Filter, Op},
    store::Goal,
};

impl ViewState {
    /// The filters as one stats filter (`(none)` matches an empty value); a
    /// goal filter is taken as an event name (see [`Self::stats_filter_with`]).
    #[must_use]
    pub fn stats_filter(&self) -> Option<Filter> {
        self.stats_filter_with(&[])
    }

    /// The filters as one stats filter, goal filters resolved against
    /// `goals` by display name (an unknown name is taken as an event name).
    #[must_use]
    pub fn stats_filter_with(&self, goals: &[Goal]) -> Option<Filter> {
        and(self.filters.iter().filter_map(|(k, v)| leaf(k, v, goals)))
    }

    /// True when a filter picks conversions (a goal or a custom event).
    #[must_use]
    pub fn converting(&self) -> bool {
        self.filters
            .iter()
            .any(|(k, _)| CONVERSION_KEYS.contains(&k.as_str()))
    }

    /// The filters without those that pick conversions: the visits a
    /// conversion rate is a share of (as Plausible leaves goal filters out of
    /// its total).
    #[must_use]
    pub fn base_filter(&self, goals: &[Goal]) -> Option<Filter> {
        and(self
            .filters
            .iter()
            .filter(|(k, _)| !CONVERSION_KEYS.contains(&k.as_str()))
            .filter_map(|(k, v)| leaf(k, v, goals)))
    }

    /// True when the filter `key:value` is applied.
    #[must_use]
    pub fn has_filter(&self, key: &str, value: &str) -> bool {
        self.filters.iter().any(|(k, v)| k == key && v == value)
    }

    /// Filters by `key:value` instead of any other value of `key` (two values
    /// of one key would match nothing).
    pub fn set_filter(&mut self, key: &str, value: &str) {
        self.filters.retain(|(k, _)| k != key);
        self.filters.push((key.to_owned(), value.to_owned()));
    }
}

/// The leaf of one `key:value` filter.
fn leaf(key: &str, value: &str, goals: &[Goal]) -> Option<Filter> {
    if key == GOAL_KEY {
        return Some(match goals.iter().find(|g| g.name() == value) {
            Some(g) => crate::dashboard::site::conversions::goal_filter(g),
            None => is(Dimension::Name, value),
        });
    }
    Some(is(filter_dimension(key)?, value))
}

fn is(dim: Dimension, value: &str) -> Filter {
    Filter::Leaf {
        op: Op::Is,
        dim,
        values: vec![value.to_owned()],
        case_sensitive: true,
    }
}

fn and(leaves: impl Iterator<Item = Filter>) -> Option<Filter> {
    let leaves: Vec<Filter> = leaves.collect();
    (!leaves.is_empty()).then_some(Filter::And(leaves))
}
