//! The eight attribution models. Every model credits each converting journey's
//! conversions and revenue in full: the credits of all keys sum to the
//! conversions and the revenue attributed (property-tested).
//!
//! Shared rules:
//! - A converting journey with no touchpoint is credited to `direct` by every model.
//! - Paths that didn't convert (`conversions == 0`) matter only to Markov.
//! - Repeated touchpoints of one key count once per touch in the position
//!   models (first, last, linear, time decay, position-based), once per
//!   journey in Shapley, and as self-transitions in Markov.

use std::collections::BTreeMap;

use super::{Credit, Journey, Key, markov};
use crate::domain::attribution::Model;

/// Credits every converting journey under `model`; `direct` is the key of
/// direct traffic (for last non-direct touch and journeys without touches).
#[must_use]
pub fn attribute(model: Model, journeys: &[Journey], direct: Key) -> BTreeMap<Key, Credit> {
    let mut out: BTreeMap<Key, Credit> = BTreeMap::new();
    let converting = journeys.iter().filter(|j| j.conversions > 0.0);
    if model == Model::Markov {
        for j in converting.clone().filter(|j| j.touches.is_empty()) {
            out.entry(direct).or_default().add(1.0, j);
        }
        markov::attribute(journeys, &mut out);
        return out;
    }
    let mut weights = Vec::new();
    for j in converting {
        if j.touches.is_empty() {
            out.entry(direct).or_default().add(1.0, j);
            continue;
        }
        weights.clear();
        shares(model, j, direct, &mut weights);
        for (key, w) in &weights {
            out.entry(*key).or_default().add(*w, j);
        }
    }
    out
}

/// The (key, share) pairs of one non-empty journey; shares sum to 1.
fn shares(model: Model, j: &Journey, direct: Key, out: &mut Vec<(Key, f64)>) {
    let t = &j.touches;
    let n = t.len();
    match model {
        Model::FirstTouch => out.push((t[0].key, 1.0)),
        Model::LastTouch => out.push((t[n - 1].key, 1.0)),
        Model::LastNonDirect => {
            let key = t
                .iter()
                .rev()
                .find(|x| x.key != direct)
                .map_or(direct, |x| x.key);
            out.push((key, 1.0));
        }
        Model::Linear => {
            #[allow(clippy::cast_precision_loss)]
            let w = 1.0 / n as f64;
            out.extend(t.iter().map(|x| (x.key, w)));
        }
        Model::TimeDecay { half_life_ms } => {
            #[allow(clippy::cast_precision_loss)]
            let h = half_life_ms.max(1) as f64;
            let age = |x: &super::Touch| j.converted_at_ms.saturating_sub(x.at_ms);
            // Weights are taken relative to the newest touch (a common factor
            // that normalising removes), so old journeys never underflow to 0.
            let newest = t.iter().map(age).min().unwrap_or(0);
            #[allow(clippy::cast_precision_loss)]
            let raw: Vec<f64> = t
                .iter()
                .map(|x| (-((age(x) - newest) as f64) / h).exp2())
                .collect();
            let sum: f64 = raw.iter().sum();
            out.extend(t.iter().zip(&raw).map(|(x, w)| (x.key, w / sum)));
        }
        Model::PositionBased => match n {
            1 => out.push((t[0].key, 1.0)),
            2 => out.extend([(t[0].key, 0.5), (t[1].key, 0.5)]),
            _ => {
                #[allow(clippy::cast_precision_loss)]
                let middle = 0.2 / (n - 2) as f64;
                out.push((t[0].key, 0.4));
                out.extend(t[1..n - 1].iter().map(|x| (x.key, middle)));
                out.push((t[n - 1].key, 0.4));
            }
        },
        Model::Shapley => {
            let mut keys: Vec<Key> = t.iter().map(|x| x.key).collect();
            keys.sort_unstable();
            keys.dedup();
            #[allow(clippy::cast_precision_loss)]
            let w = 1.0 / keys.len() as f64;
            out.extend(keys.into_iter().map(|k| (k, w)));
        }
        Model::Markov => unreachable!("Markov credits the whole set at once"),
    }
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
