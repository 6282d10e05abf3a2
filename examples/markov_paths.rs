//! Markov credits for aggregated paths, for the cross-check against the
//! ChannelAttribution package (`scripts/markov_crosscheck.py`). Reads CSV
//! lines `path,total_conversions,total_null` (path like `C1 > C2 > C3`, a
//! header line is skipped) and prints `channel,credited_conversions`.

use std::io::BufRead;

use touchpoint::attribution::{Journey, Model, Touch, attribute};

fn main() {
    let mut names: Vec<String> = Vec::new();
    let mut journeys = Vec::new();
    for line in std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .skip(1)
    {
        let mut cols = line.rsplitn(3, ',');
        let (Some(nulls), Some(convs), Some(path)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let touches: Vec<Touch> = path
            .split('>')
            .map(str::trim)
            .enumerate()
            .map(|(i, name)| {
                let key = names.iter().position(|n| n == name).unwrap_or_else(|| {
                    names.push(name.to_owned());
                    names.len() - 1
                });
                Touch {
                    key: u32::try_from(key).unwrap_or(0),
                    at_ms: i as u64,
                }
            })
            .collect();
        for _ in 0..convs.trim().parse::<u64>().unwrap_or(0) {
            journeys.push(Journey::converted(
                touches.clone(),
                0.0,
                touches.len() as u64,
            ));
        }
        for _ in 0..nulls.trim().parse::<u64>().unwrap_or(0) {
            journeys.push(Journey::not_converted(touches.clone()));
        }
    }
    for (key, credit) in attribute(Model::Markov, &journeys, u32::MAX) {
        println!("{},{:.6}", names[key as usize], credit.conversions);
    }
}
