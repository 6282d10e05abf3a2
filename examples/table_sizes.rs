//! Prints what each table of a store takes on disk, for "Bytes on disk per
//! event" in BENCHMARKS.md: `cargo run --release --example table_sizes --
//! DATA_DIR` (the server stopped). Tables under 100 KB are left out. Then
//! the bytes of each day-segment column over every site's rolled-up days.

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "data".into());
    let store = touchpoint::store::Store::open(std::path::Path::new(&dir)).unwrap();
    let tables = store.table_bytes().unwrap();
    println!("| table | rows | stored | metadata | unused | total |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut all = 0;
    for t in &tables {
        let total = t.stored + t.metadata + t.unused;
        all += total;
        if total >= 100_000 {
            println!(
                "| `{}` | {} | {} | {} | {} | {} |",
                t.name, t.rows, t.stored, t.metadata, t.unused, total
            );
        }
    }
    println!("| all tables | | | | | {all} |");
    println!("file: {} bytes", store.file_size());
    segment_columns(&store);
}

/// Bytes of each segment column (by `stats::segment::col` code), summed
/// over every rolled-up day of every site.
fn segment_columns(store: &touchpoint::store::Store) {
    use touchpoint::stats::segment::{VISIT_DIMS, col};
    let named = [
        (col::HEADER, "header"),
        (col::START, "visit starts"),
        (col::VISITOR, "visitor indices"),
        (col::FLAGS, "visit flags"),
        (col::DURATION, "durations"),
        (col::EVENTS, "events per visit"),
        (col::PAGEVIEWS, "pageviews per visit"),
        (col::EV_PATH, "event pages"),
        (col::EV_NAME, "event names"),
        (col::EV_FLAGS, "event flags"),
        (col::EV_EXTRAS, "event extras"),
        (col::VISITOR_IDS, "visitor ids"),
        (col::EV_OFFSET, "event times"),
        (col::VISIT_ID, "visit ids"),
        (col::UTM_ID, "utm_id"),
    ];
    let view = store.read().unwrap();
    let mut sums = std::collections::BTreeMap::<u8, u64>::new();
    for site in view.sites().unwrap() {
        for day in view.rolled_days(site.id, 0, u32::MAX).unwrap() {
            for code in 0..col::DIMS + u8::try_from(VISIT_DIMS.len()).unwrap() {
                if let Some(b) = view.segment_column(site.id, day, code).unwrap() {
                    *sums.entry(code).or_default() += b.len() as u64;
                }
            }
        }
    }
    println!("| segment column | bytes |");
    println!("| --- | --- |");
    for (code, bytes) in sums {
        let name = named.iter().find(|(c, _)| *c == code).map_or_else(
            || format!("{}", VISIT_DIMS[usize::from(code - col::DIMS)]),
            |(_, n)| (*n).to_owned(),
        );
        println!("| {name} | {bytes} |");
    }
}
