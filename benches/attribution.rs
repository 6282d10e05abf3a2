//! All eight attribution models over 100,000 leads with about ten touchpoints
//! each (target: all of them together in ≤ 1 s), by channel (15 keys) and by
//! campaign (300 keys, the Markov matrix's worst realistic size).

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::attribution::{Journey, Model, Touch, attribute};

const DAY: u64 = 86_400_000;

/// A small deterministic generator (xorshift), so runs compare.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `leads` journeys of 5–15 touches over `keys` keys (skewed towards low
/// keys, as real channels are); 70% convert.
fn journeys(leads: usize, keys: u64) -> Vec<Journey> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..leads)
        .map(|_| {
            let n = 5 + rng.below(11);
            let mut at = 1_700_000_000_000 + rng.below(30 * DAY);
            let touches: Vec<Touch> = (0..n)
                .map(|_| {
                    at += rng.below(3 * DAY);
                    let k = rng.below(keys).min(rng.below(keys));
                    Touch {
                        key: u32::try_from(k).unwrap_or(0),
                        at_ms: at,
                    }
                })
                .collect();
            if rng.below(10) < 7 {
                #[allow(clippy::cast_precision_loss)]
                let value = rng.below(20_000) as f64 / 100.0;
                Journey::converted(touches, value, at + DAY)
            } else {
                Journey::not_converted(touches)
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("attribution");
    g.sample_size(10);
    for (name, keys) in [
        ("100k_leads_15_channels", 15),
        ("100k_leads_300_campaigns", 300),
    ] {
        let js = journeys(100_000, keys);
        g.bench_function(format!("all_models/{name}"), |b| {
            b.iter(|| {
                for m in Model::ALL {
                    std::hint::black_box(attribute(m, &js, 0));
                }
            });
        });
        for m in Model::ALL {
            g.bench_function(format!("{}/{name}", m.as_str()), |b| {
                b.iter(|| std::hint::black_box(attribute(m, &js, 0)));
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
