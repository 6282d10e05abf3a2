//! Prints what each table of a store takes on disk, for "Bytes on disk per
//! event" in BENCHMARKS.md: `cargo run --release --example table_sizes --
//! DATA_DIR` (the server stopped). Tables under 100 KB are left out.

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
}
