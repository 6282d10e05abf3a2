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

/// How credit is shared between a journey's touchpoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// All to the first touchpoint.
    FirstTouch,
    /// All to the last touchpoint.
    LastTouch,
    /// All to the last touchpoint that isn't `direct`; a journey of direct
    /// touchpoints only is credited to `direct`.
    LastNonDirect,
    /// Equal shares to every touchpoint.
    Linear,
    /// Touchpoint `i` weighs `2^(−Δtᵢ/H)`, Δtᵢ its time before the
    /// conversion and H the half-life; weights normalised to 1. A touch at or
    /// after the conversion time weighs 1.
    TimeDecay {
        /// Half-life, ms (must be > 0; 7 days by default).
        half_life_ms: u64,
    },
    /// 40% to the first touchpoint, 40% to the last, 20% shared equally by
    /// the ones between; one touchpoint gets 100%, two get 50% each.
    PositionBased,
    /// First-order Markov chain removal effect, solved exactly (see `markov`).
    Markov,
    /// Shapley value of the game v(S) = conversions (or revenue) of the
    /// converting journeys all of whose keys lie in S. That game is the sum,
    /// over journeys, of unanimity games on each journey's set of distinct
    /// keys, and a unanimity game's Shapley value is an equal share for each
    /// member: so the exact Shapley value gives each converting journey's
    /// conversions and revenue in equal parts to its distinct keys, computed
    /// without enumerating the 2ⁿ coalitions.
    Shapley,
}

/// Default time-decay half-life: 7 days.
pub const DEFAULT_HALF_LIFE_MS: u64 = 7 * 86_400_000;

impl Model {
    /// Every model with default parameters, in display order.
    pub const ALL: [Self; 8] = [
        Self::FirstTouch,
        Self::LastTouch,
        Self::LastNonDirect,
        Self::Linear,
        Self::TimeDecay {
            half_life_ms: DEFAULT_HALF_LIFE_MS,
        },
        Self::PositionBased,
        Self::Markov,
        Self::Shapley,
    ];

    /// Its name in URLs and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstTouch => "first_touch",
            Self::LastTouch => "last_touch",
            Self::LastNonDirect => "last_non_direct",
            Self::Linear => "linear",
            Self::TimeDecay { .. } => "time_decay",
            Self::PositionBased => "position_based",
            Self::Markov => "markov",
            Self::Shapley => "shapley",
        }
    }

    /// Parses a name (time decay with the default half-life).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

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
