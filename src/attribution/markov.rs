//! First-order Markov chain attribution by removal effect, computed exactly.
//!
//! Every journey with touchpoints is a path `start → k₁ → … → kₙ → end`, the
//! end being `conversion` when it converted and `null` otherwise (each
//! journey is one observed path). Transition probabilities are the observed
//! frequencies. With Q the transitions between transient states (start and the
//! keys), b the one-step conversion probabilities and N = (I − Q)⁻¹ the
//! fundamental matrix, the probability of converting from state i is
//! xᵢ = (N b)ᵢ and P = x_start.
//!
//! Removing key c (its visits lead to `null`) leaves P₋c = P − h_c · x_c,
//! where h_c = N_start,c / N_c,c is the probability of ever reaching c from
//! start: the conversions lost are exactly those of paths through c. So one
//! matrix inversion gives every removal effect RE_c = 1 − P₋c / P, with no
//! simulation. Each key is credited the total conversions (and revenue) of
//! the journeys with touchpoints times RE_c / Σ RE. Repeated touchpoints of a
//! key are self-transitions.

use std::collections::{BTreeMap, HashMap};

use super::{Credit, Journey, Key, OTHER};

/// Most keys the chain keeps apart; the rest are credited together as [`OTHER`].
pub const MAX_KEYS: usize = 400;

pub(super) fn attribute(journeys: &[Journey], out: &mut BTreeMap<Key, Credit>) {
    // The chain is dense: past MAX_KEYS, the rarest keys are folded into
    // OTHER, which keeps the matrix (and its O(k³) inversion) bounded.
    let mut seen: HashMap<Key, u64> = HashMap::new();
    for t in journeys.iter().flat_map(|j| &j.touches) {
        *seen.entry(t.key).or_default() += 1;
    }
    let mut by_use: Vec<(Key, u64)> = seen.into_iter().collect();
    by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kept: std::collections::HashSet<Key> =
        by_use.iter().take(MAX_KEYS - 1).map(|(k, _)| *k).collect();
    let fold = |k: Key| {
        if by_use.len() > MAX_KEYS && !kept.contains(&k) {
            OTHER
        } else {
            k
        }
    };
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut keys: Vec<Key> = Vec::new();
    for j in journeys {
        for t in &j.touches {
            index.entry(fold(t.key)).or_insert_with(|| {
                keys.push(fold(t.key));
                keys.len()
            });
        }
    }
    // States 0 (start) and 1..=k (keys); columns also `m` (conversion) and
    // `m + 1` (null).
    let m = keys.len() + 1;
    let (conv, null) = (m, m + 1);
    let mut counts = vec![0.0f64; m * (m + 2)];
    let (mut total_conv, mut total_value, mut total_leads) = (0.0, 0.0, 0.0);
    for j in journeys.iter().filter(|j| !j.touches.is_empty()) {
        let mut prev = 0;
        for t in &j.touches {
            let s = index[&fold(t.key)];
            counts[prev * (m + 2) + s] += 1.0;
            prev = s;
        }
        let end = if j.conversions > 0.0 { conv } else { null };
        counts[prev * (m + 2) + end] += 1.0;
        if j.conversions > 0.0 {
            total_conv += j.conversions;
            total_value += j.value;
            total_leads += j.leads;
        }
    }
    if total_conv <= 0.0 {
        return;
    }
    // I − Q, and b.
    let mut a = vec![0.0f64; m * m];
    let mut b = vec![0.0f64; m];
    for i in 0..m {
        let row = &counts[i * (m + 2)..(i + 1) * (m + 2)];
        let n: f64 = row.iter().sum();
        a[i * m + i] = 1.0;
        if n == 0.0 {
            continue;
        }
        for jx in 0..m {
            a[i * m + jx] -= row[jx] / n;
        }
        b[i] = row[conv] / n;
    }
    let Some(inv) = invert(&a, m) else {
        return;
    };
    let x: Vec<f64> = (0..m)
        .map(|i| (0..m).map(|k| inv[i * m + k] * b[k]).sum())
        .collect();
    let p = x[0];
    if p <= 0.0 {
        return;
    }
    let effects: Vec<f64> = (1..m)
        .map(|c| (inv[c] * x[c] / (inv[c * m + c] * p)).clamp(0.0, 1.0))
        .collect();
    let sum: f64 = effects.iter().sum();
    if sum <= 0.0 {
        return;
    }
    for (key, re) in keys.iter().zip(&effects) {
        let share = re / sum;
        let c = out.entry(*key).or_default();
        c.conversions += share * total_conv;
        c.value += share * total_value;
        c.leads += share * total_leads;
    }
}

/// Inverse of the `m × m` row-major matrix by Gauss–Jordan elimination with
/// partial pivoting; `None` when singular.
fn invert(a: &[f64], m: usize) -> Option<Vec<f64>> {
    let mut a = a.to_vec();
    let mut inv = vec![0.0f64; m * m];
    for i in 0..m {
        inv[i * m + i] = 1.0;
    }
    for col in 0..m {
        let pivot =
            (col..m).max_by(|&r, &s| a[r * m + col].abs().total_cmp(&a[s * m + col].abs()))?;
        if a[pivot * m + col].abs() < 1e-12 {
            return None;
        }
        if pivot != col {
            for k in 0..m {
                a.swap(pivot * m + k, col * m + k);
                inv.swap(pivot * m + k, col * m + k);
            }
        }
        let d = a[col * m + col];
        for k in 0..m {
            a[col * m + k] /= d;
            inv[col * m + k] /= d;
        }
        for r in 0..m {
            if r == col {
                continue;
            }
            let f = a[r * m + col];
            if f == 0.0 {
                continue;
            }
            for k in 0..m {
                a[r * m + k] -= f * a[col * m + k];
                inv[r * m + k] -= f * inv[col * m + k];
            }
        }
    }
    Some(inv)
}
