use proptest::prelude::*;

use super::*;
use crate::attribution::Touch;

const DAY: u64 = 86_400_000;
const DIRECT: Key = 0;
const T0: u64 = 1_700_000_000_000;

fn path(keys: &[Key]) -> Vec<Touch> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| Touch {
            key: *k,
            at_ms: T0 + i as u64 * DAY,
        })
        .collect()
}

fn conv(keys: &[Key], value: f64) -> Journey {
    let t = path(keys);
    let at = t.last().map_or(T0, |x| x.at_ms);
    Journey::converted(t, value, at)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn credits(model: Model, js: &[Journey]) -> Vec<(Key, f64, f64)> {
    attribute(model, js, DIRECT)
        .into_iter()
        .map(|(k, c)| (k, c.conversions, c.value))
        .collect()
}

fn assert_credits(model: Model, js: &[Journey], want: &[(Key, f64, f64)]) {
    let got = credits(model, js);
    assert_eq!(got.len(), want.len(), "{model:?}: {got:?}");
    for ((k, c, v), (wk, wc, wv)) in got.iter().zip(want) {
        assert!(
            k == wk && close(*c, *wc) && close(*v, *wv),
            "{model:?}: {got:?} != {want:?}"
        );
    }
}

#[test]
fn markov_matches_the_published_three_path_example() {
    // C1 > C2 > C3 converted; C1 didn't; C2 > C3 didn't: 0.2 / 0.4 / 0.4.
    let js = [
        conv(&[1, 2, 3], 100.0),
        Journey::not_converted(path(&[1])),
        Journey::not_converted(path(&[2, 3])),
    ];
    assert_credits(
        Model::Markov,
        &js,
        &[(1, 0.2, 20.0), (2, 0.4, 40.0), (3, 0.4, 40.0)],
    );
}

#[test]
fn markov_handles_loops_and_a_lone_channel() {
    // One channel that always converts gets everything.
    assert_credits(
        Model::Markov,
        &[conv(&[5], 10.0), conv(&[5, 5], 30.0)],
        &[(5, 2.0, 40.0)],
    );
    // A > B converted, B > A didn't. Transitions: start→A ½, start→B ½,
    // A→B ½, A→null ½, B→conv ½, B→A ½. Then x_A = ½x_B, x_B = ½ + ½x_A, so
    // x_B = ⅔, x_A = ⅓ and P = ½. Without A: start→B→conv only, P = ¼, so
    // RE_A = ½; without B nothing converts, RE_B = 1. Shares ⅓ and ⅔.
    let js = [conv(&[1, 2], 8.0), Journey::not_converted(path(&[2, 1]))];
    assert_credits(
        Model::Markov,
        &js,
        &[(1, 1.0 / 3.0, 8.0 / 3.0), (2, 2.0 / 3.0, 16.0 / 3.0)],
    );
}

#[test]
fn single_touch_models_on_a_hand_computed_journey() {
    // Direct (0), then paid search (7), email (3), direct again.
    let js = [conv(&[DIRECT, 7, 3, DIRECT], 50.0)];
    assert_credits(Model::FirstTouch, &js, &[(DIRECT, 1.0, 50.0)]);
    assert_credits(Model::LastTouch, &js, &[(DIRECT, 1.0, 50.0)]);
    assert_credits(Model::LastNonDirect, &js, &[(3, 1.0, 50.0)]);
    // All direct: credited to direct.
    assert_credits(
        Model::LastNonDirect,
        &[conv(&[DIRECT, DIRECT], 5.0)],
        &[(DIRECT, 1.0, 5.0)],
    );
}

#[test]
fn linear_position_based_and_shapley_shares() {
    let js = [conv(&[1, 2, 1, 3, 4], 10.0)];
    assert_credits(
        Model::Linear,
        &js,
        &[(1, 0.4, 4.0), (2, 0.2, 2.0), (3, 0.2, 2.0), (4, 0.2, 2.0)],
    );
    // 40 / 20 shared by three middles / 40.
    let m = 0.2 / 3.0;
    assert_credits(
        Model::PositionBased,
        &js,
        &[
            (1, 0.4 + m, 10.0 * (0.4 + m)),
            (2, m, 10.0 * m),
            (3, m, 10.0 * m),
            (4, 0.4, 4.0),
        ],
    );
    assert_credits(Model::PositionBased, &[conv(&[1], 2.0)], &[(1, 1.0, 2.0)]);
    assert_credits(
        Model::PositionBased,
        &[conv(&[1, 2], 2.0)],
        &[(1, 0.5, 1.0), (2, 0.5, 1.0)],
    );
    // Shapley: distinct keys share equally.
    assert_credits(
        Model::Shapley,
        &js,
        &[
            (1, 0.25, 2.5),
            (2, 0.25, 2.5),
            (3, 0.25, 2.5),
            (4, 0.25, 2.5),
        ],
    );
}

#[test]
fn shapley_equals_the_enumerated_coalition_formula() {
    // v(S) = conversions of journeys whose keys all lie in S, Shapley value by
    // brute force over every coalition, against the closed form.
    let js = [
        conv(&[1, 2], 1.0),
        conv(&[2, 3, 2], 1.0),
        conv(&[1], 1.0),
        conv(&[3], 1.0),
    ];
    let players = [1u32, 2, 3];
    let v = |mask: u32| -> f64 {
        js.iter()
            .filter(|j| {
                j.touches
                    .iter()
                    .all(|t| mask & (1 << players.iter().position(|p| *p == t.key).unwrap()) != 0)
            })
            .count() as f64
    };
    let fact = |n: u32| (1..=n).product::<u32>().max(1) as f64;
    let got = credits(Model::Shapley, &js);
    for (i, p) in players.iter().enumerate() {
        let mut phi = 0.0;
        for s in 0u32..8 {
            if s & (1 << i) != 0 {
                continue;
            }
            let k = s.count_ones();
            phi += fact(k) * fact(2 - k) / fact(3) * (v(s | (1 << i)) - v(s));
        }
        let mine = got.iter().find(|(k, ..)| k == p).unwrap().1;
        assert!(close(mine, phi), "{p}: {mine} vs {phi}");
    }
}

#[test]
fn time_decay_halves_per_half_life() {
    let tc = T0 + 14 * DAY;
    let j = Journey::converted(
        vec![
            Touch { key: 1, at_ms: T0 }, // 14 days before: weight 1/4
            Touch {
                key: 2,
                at_ms: T0 + 7 * DAY,
            }, // 7 days: 1/2
            Touch { key: 3, at_ms: tc }, // at conversion: 1
        ],
        7.0,
        tc,
    );
    let m = Model::TimeDecay {
        half_life_ms: 7 * DAY,
    };
    assert_credits(
        m,
        std::slice::from_ref(&j),
        &[
            (1, 1.0 / 7.0, 1.0),
            (2, 2.0 / 7.0, 2.0),
            (3, 4.0 / 7.0, 4.0),
        ],
    );
    // A journey many half-lives old still splits the same way.
    let mut old = j;
    old.converted_at_ms += 1000 * 7 * DAY;
    assert_credits(
        m,
        &[old],
        &[
            (1, 1.0 / 7.0, 1.0),
            (2, 2.0 / 7.0, 2.0),
            (3, 4.0 / 7.0, 4.0),
        ],
    );
}

#[test]
fn conversions_without_touches_go_to_direct_and_non_conversions_to_nobody() {
    let js = [
        Journey::converted(Vec::new(), 3.0, T0),
        Journey::not_converted(path(&[9])),
    ];
    for m in Model::ALL {
        assert_credits(m, &js, &[(DIRECT, 1.0, 3.0)]);
    }
    for m in Model::ALL {
        assert_eq!(Model::parse(m.as_str()), Some(m));
    }
}

fn journeys() -> impl Strategy<Value = Vec<Journey>> {
    let journey = (
        proptest::collection::vec((0u32..6, 0u64..(60 * DAY)), 0..8),
        any::<bool>(),
        0u32..100_000,
    )
        .prop_map(|(mut touches, converted, cents)| {
            touches.sort_by_key(|t| t.1);
            let t: Vec<Touch> = touches
                .into_iter()
                .map(|(key, at)| Touch {
                    key,
                    at_ms: T0 + at,
                })
                .collect();
            if converted {
                Journey::converted(t, f64::from(cents) / 100.0, T0 + 61 * DAY)
            } else {
                Journey::not_converted(t)
            }
        });
    proptest::collection::vec(journey, 1..40)
}

proptest! {
    #[test]
    fn every_model_credits_exactly_the_conversions_and_revenue(js in journeys()) {
        let convs: f64 = js.iter().map(|j| j.conversions).sum();
        let value: f64 = js.iter().map(|j| j.value).sum();
        for m in Model::ALL {
            let c = attribute(m, &js, DIRECT);
            let (gc, gv) = c.values().fold((0.0, 0.0), |(a, b), x| (a + x.conversions, b + x.value));
            prop_assert!(close(gc, convs), "{m:?}: {gc} vs {convs}");
            prop_assert!(close(gv, value) || (value - gv).abs() < 1e-6, "{m:?}: {gv} vs {value}");
            prop_assert!(c.values().all(|x| x.conversions >= -1e-12), "{m:?}: negative credit");
        }
    }

    #[test]
    fn order_free_models_ignore_touch_order(js in journeys(), seed in any::<u64>()) {
        let shuffled: Vec<Journey> = js.iter().map(|j| {
            let mut j = j.clone();
            let n = j.touches.len();
            if n > 1 {
                j.touches.rotate_left((seed % n as u64) as usize);
                j.touches.reverse();
            }
            j
        }).collect();
        for m in [Model::Linear, Model::Shapley] {
            let (a, b) = (attribute(m, &js, DIRECT), attribute(m, &shuffled, DIRECT));
            prop_assert_eq!(a.len(), b.len());
            for ((ka, ca), (kb, cb)) in a.iter().zip(&b) {
                prop_assert!(ka == kb && close(ca.conversions, cb.conversions) && close(ca.value, cb.value));
            }
        }
    }
}

#[test]
fn markov_folds_the_rarest_keys_past_its_limit() {
    // 600 distinct keys: the chain keeps the most used apart, the rest as OTHER.
    let mut js: Vec<Journey> = (0..600u32).map(|k| conv(&[k, 1000], 1.0)).collect();
    js.push(conv(&[1000], 1.0));
    let c = attribute(Model::Markov, &js, DIRECT);
    assert!(c.contains_key(&crate::attribution::OTHER));
    assert!(c.len() <= super::super::markov::MAX_KEYS);
    let total: f64 = c.values().map(|x| x.conversions).sum();
    assert!(close(total, 601.0), "{total}");
}
