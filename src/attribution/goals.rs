//! Goals as conversions, as funnels and Plausible count them: every visit in
//! the period that completes the goal (a custom event by name, or a pageview
//! whose path matches the goal's pattern) is one conversion, at its first
//! completion, worth the revenue its completing events carried. The journey
//! is the visitor's visits within the lookback: for a cookieless visitor that
//! is the visits of that day (their id changes daily), for a consenting one
//! every visit of their first-party id, and for an identified lead the
//! visits of every id linked to the lead.

use std::collections::HashMap;

use regex::Regex;

use super::report::ReportError;
use crate::{
    domain::money::code_str,
    privacy::Keys,
    stats::filter::page_pattern,
    store::{Conversion, ConversionKind, Goal, GoalKind, Site, Store},
};

/// The goal's completions among visits that started in `[from_ms, to_ms)`,
/// as conversions (kind `custom`, source `goal`, with the visitor and, for
/// a visitor linked to a lead, the lead).
///
/// # Errors
/// Storage errors or a corrupt row.
pub fn goal_conversions(
    store: &Store,
    keys: &Keys,
    site: &Site,
    goal: &Goal,
    from_ms: u64,
    to_ms: u64,
) -> Result<Vec<Conversion>, ReportError> {
    let leads = store.leads(site.id)?;
    let owner = super::lead_facts::lead_owners(keys, &leads);
    let view = store.read()?;
    let (event_id, page_re) = match &goal.kind {
        GoalKind::Event(name) => (view.string_id(name)?, None),
        GoalKind::Page(p) => (
            None,
            Some(Regex::new(&page_pattern(p)).map_err(|e| ReportError::Invalid(e.to_string()))?),
        ),
    };
    if event_id.is_none() && page_re.is_none() {
        // An event name never seen: nothing can have completed it.
        return Ok(Vec::new());
    }
    let mut page_hits: HashMap<u32, bool> = HashMap::new();
    let mut out = Vec::new();
    view.for_each_visit(site.id, from_ms, to_ms, |key, rec| {
        let mut first: Option<u64> = None;
        let mut value: Option<(i64, [u8; 3])> = None;
        for e in &rec.events {
            let hit = match &page_re {
                Some(re) if e.pageview => match page_hits.get(&e.path) {
                    Some(h) => *h,
                    None => match view.string(e.path) {
                        Ok(path) => *page_hits.entry(e.path).or_insert(re.is_match(&path)),
                        Err(err) => return std::ops::ControlFlow::Break(err),
                    },
                },
                Some(_) => false,
                None => !e.pageview && Some(e.name) == event_id,
            };
            if !hit {
                continue;
            }
            first.get_or_insert(key.start_ms + u64::from(e.offset_ms));
            // Revenue in the first currency the visit's completions carried.
            if let Some(r) = e.revenue {
                match &mut value {
                    None => value = Some((r.amount_micros, r.currency)),
                    Some((m, c)) if *c == r.currency => *m = m.saturating_add(r.amount_micros),
                    Some(_) => {}
                }
            }
        }
        if let Some(at_ms) = first {
            out.push(Conversion {
                lead: owner
                    .get(&rec.visitor)
                    .map(|&i| leads[i].id.clone())
                    .unwrap_or_default(),
                kind: ConversionKind::Custom,
                at_ms,
                value_micros: value.map_or(0, |v| v.0),
                currency: value.map(|v| code_str(v.1)),
                order_id: None,
                source: "goal".to_owned(),
                refunded_micros: 0,
                visitor: Some(rec.visitor),
            });
        }
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// Which conversions a report counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choice {
    /// A conversion kind; `None` = every kind.
    pub kind: Option<ConversionKind>,
    /// A goal whose completions count instead.
    pub goal: Option<Goal>,
}

/// Parses the conversion choice of the attribution API and page: `lead`,
/// `purchase`, `custom`, empty for every kind, or `goal:NAME` with the
/// display name of one of `goals` (`goal:Signup`, `goal:Visit /pricing*`).
///
/// # Errors
/// A message naming what is accepted.
pub fn parse_choice(s: &str, goals: &[Goal]) -> Result<Choice, String> {
    if s.is_empty() {
        return Ok(Choice::default());
    }
    if let Some(name) = s.strip_prefix("goal:") {
        return goals
            .iter()
            .find(|g| g.name() == name)
            .map(|g| Choice {
                kind: None,
                goal: Some(g.clone()),
            })
            .ok_or_else(|| {
                let names: Vec<String> = goals.iter().map(Goal::name).collect();
                format!(
                    "no goal named {name:?}; the site's goals: {}",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                )
            });
    }
    ConversionKind::parse(s)
        .map(|k| Choice {
            kind: Some(k),
            goal: None,
        })
        .ok_or_else(|| "conversion must be lead, purchase, custom or goal:NAME".into())
}
