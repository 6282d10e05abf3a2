//! Uploaded files: Plausible's CSV export and an ad-spend CSV.

use super::{NOW_MS, assert_stored, first_line};
use crate::{
    domain::{
        Timezone,
        calendar::{date_of_day, local_day},
        imported::{Col, Table},
        money::{code_str, micros_to_decimal},
        spend::{self, MAX_ROWS, SpendRow},
    },
    exchange::import::{File, read_file, unzip},
};

/// One file of Plausible's export: its name on the first line
/// (`imported_visitors_20240101_20240131.csv`), its CSV after it; or `zip`
/// on the first line and an archive after it.
pub fn plausible_import(data: &[u8]) {
    let (name, bytes) = first_line(data);
    let Ok(name) = std::str::from_utf8(name) else {
        return;
    };
    // The site has no data of its own yet: every day up to today imports.
    let before_day = local_day(NOW_MS, Timezone::default()) + 1;
    let files = if name == "zip" {
        unzip(bytes).unwrap_or_default()
    } else {
        vec![File {
            name: name.to_owned(),
            bytes: bytes.to_vec(),
        }]
    };
    for file in &files {
        let mut rows = Vec::new();
        let Ok(table) = read_file(file, before_day, &mut rows) else {
            continue;
        };
        let (_, first, last) = Table::from_file_name(&file.name).expect("a file it read");
        let (texts, counts) = (
            table.names(Col::Text).count(),
            table.names(Col::Count).count(),
        );
        for (code, day, row) in &rows {
            assert_eq!(*code, table.code);
            assert!(*day < before_day, "day {day} is not before the site's data");
            let date = date_of_day(*day);
            assert!(
                first <= date && date <= last,
                "{date} outside {first}..{last}"
            );
            assert_eq!((row.texts.len(), row.counts.len()), (texts, counts));
            row.texts.iter().for_each(|t| assert_stored("text", t));
        }
    }
}

/// An ad-spend CSV (`touchpoint spend import`, `POST /api/v1/spend`).
pub fn spend_csv(data: &[u8]) {
    let Ok(rows) = spend::parse_csv(data) else {
        return;
    };
    assert!(rows.len() <= MAX_ROWS);
    assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "one row per key");
    for (k, a) in &rows {
        assert!(a.micros >= 0, "spend {}", a.micros);
        assert!(!k.campaign.is_empty());
        for t in [&k.source, &k.medium, &k.campaign] {
            assert_stored("spend text", t);
        }
    }
    // Written back as a CSV, the rows read as the same rows, but for texts
    // that decode again (`%41`, `+`): form-decoding is not idempotent.
    if rows
        .iter()
        .flat_map(|(k, _)| [&k.source, &k.medium, &k.campaign])
        .any(|t| t.contains(['%', '+']))
    {
        return;
    }
    assert_eq!(spend::parse_csv(&write_csv(&rows)).expect("it reads"), rows);
}

/// Rows as a spend CSV.
fn write_csv(rows: &[SpendRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let count = |c: Option<u64>| c.map(|c| c.to_string()).unwrap_or_default();
    w.write_record(spend::FIELDS).expect("to memory");
    for (k, a) in rows {
        w.write_record([
            date_of_day(k.day).to_string(),
            k.source.clone(),
            k.medium.clone(),
            k.campaign.clone(),
            micros_to_decimal(a.micros),
            code_str(a.currency),
            count(a.clicks),
            count(a.impressions),
        ])
        .expect("to memory");
    }
    w.into_inner().expect("to memory")
}
