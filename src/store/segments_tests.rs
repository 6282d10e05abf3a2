//! Segment columns in pieces: they read back whole, replacing a day leaves
//! no piece of the old columns, pieces fill their pages, and schema 3's
//! one-value columns move over unchanged.

use redb::{ReadableTableMetadata, TableHandle};

use super::{
    super::{Store, tables},
    LEAF_OVERHEAD, piece_sizes,
};
use crate::domain::SiteId;

fn store() -> (tempfile::TempDir, Store, SiteId) {
    super::super::test_store_with_site()
}

/// Bytes that differ from page to page, so a piece read twice or out of
/// order would show.
fn column(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i / 4000) as u8)
        .collect()
}

/// A page less the overhead: the smallest whole piece.
const PIECE: usize = 4096 - LEAF_OVERHEAD;

#[test]
fn pieces_are_whole_runs_of_pages_largest_first_and_add_up() {
    for len in [
        0,
        1,
        PIECE - 1,
        PIECE,
        PIECE + 1,
        2 * PIECE,
        8_128,
        100_000,
        3_000_005,
        9 << 20,
    ] {
        let sizes = piece_sizes(len);
        assert_eq!(sizes.iter().sum::<usize>(), len, "{len}: {sizes:?}");
        let (whole, rest) = match sizes.last() {
            Some(&last) if last < PIECE => (&sizes[..sizes.len() - 1], Some(last)),
            _ => (&sizes[..], None),
        };
        assert!(rest.is_some() || !whole.is_empty(), "{len}: {sizes:?}");
        for w in whole {
            assert!((w + LEAF_OVERHEAD).is_power_of_two(), "{len}: {sizes:?}");
        }
        assert!(whole.windows(2).all(|p| p[0] >= p[1]), "{len}: {sizes:?}");
        // Binary digits of the length in pages: a few pieces, not hundreds.
        assert!(sizes.len() <= 2 * 14, "{len}: {sizes:?}");
    }
    assert_eq!(piece_sizes(PIECE), vec![PIECE]);
    assert_eq!(piece_sizes(10), vec![10]);
}

fn put_day(store: &Store, site: SiteId, day: u32, columns: &[(u8, Vec<u8>)]) {
    let version = store.read().unwrap().day_version(site, day).unwrap();
    assert!(
        store
            .put_rollup_day(site, day, &[], columns, version, 1)
            .unwrap()
    );
}

fn read(store: &Store, site: SiteId, day: u32, code: u8) -> Option<Vec<u8>> {
    store
        .read()
        .unwrap()
        .segment_column(site, day, code)
        .unwrap()
}

#[test]
fn columns_of_every_size_read_back_whole_and_a_new_day_replaces_every_piece() {
    let (_dir, store, site) = store();
    let sizes = [0, 1, PIECE - 1, PIECE, PIECE + 1, 700_000];
    let columns: Vec<(u8, Vec<u8>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (i as u8, column(n, i as u8)))
        .collect();
    put_day(&store, site, 100, &columns);
    put_day(&store, site, 101, &[(0, vec![9])]);
    for (code, bytes) in &columns {
        assert_eq!(
            read(&store, site, 100, *code).as_ref(),
            Some(bytes),
            "column {code}"
        );
    }
    assert_eq!(read(&store, site, 100, 99), None);
    // Rewritten shorter: no piece of the longer column is left behind.
    put_day(&store, site, 100, &[(5, vec![7, 7])]);
    assert_eq!(read(&store, site, 100, 5), Some(vec![7, 7]));
    assert_eq!(read(&store, site, 100, 4), None);
    assert_eq!(read(&store, site, 101, 0), Some(vec![9]));
}

/// The point of the pieces: ~30 MB of columns of many sizes leave at most
/// 3 % of their bytes unused in the pages they take. One value per column
/// left 44 % here (the bench store: 18 %, 43 of 236 MB), and pieces of a
/// power of two bytes nearly all, since each then needs twice the pages.
#[test]
fn pieces_fill_their_pages() {
    let (_dir, store, site) = store();
    let mut len = 40_000;
    for day in 0..40 {
        let columns: Vec<(u8, Vec<u8>)> = (0..4)
            .map(|c| (c, column(len * (c as usize + 1) / 4, c)))
            .collect();
        put_day(&store, site, day, &columns);
        len = len * 27 / 25;
    }
    let tx = store.db.begin_write().unwrap();
    let stats = tx.open_table(tables::SEGMENTS).unwrap().stats().unwrap();
    let (stored, unused) = (stats.stored_bytes(), stats.fragmented_bytes());
    assert!(
        (20_000_000..40_000_000).contains(&stored),
        "{stored} bytes stored"
    );
    assert!(
        unused * 100 <= stored * 3,
        "{unused} bytes unused around {stored} stored"
    );
}

#[test]
fn the_v4_migration_moves_one_value_columns_into_pieces_unchanged() {
    let (dir, store, site) = store();
    let big = column(200_077, 3);
    {
        let tx = store.db.begin_write().unwrap();
        {
            let mut old = tx.open_table(tables::SEGMENTS_V1).unwrap();
            old.insert((site.0, 7, 0), [1u8, 2].as_slice()).unwrap();
            old.insert((site.0, 7, 1), big.as_slice()).unwrap();
            old.insert((site.0, 8, 0), [].as_slice()).unwrap();
        }
        tx.open_table(tables::META)
            .unwrap()
            .insert(tables::SCHEMA_VERSION_KEY, 3u64.to_be_bytes().as_slice())
            .unwrap();
        tx.commit().unwrap();
    }
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(read(&store, site, 7, 0), Some(vec![1, 2]));
    assert_eq!(read(&store, site, 7, 1), Some(big));
    assert_eq!(read(&store, site, 8, 0), Some(Vec::new()));
    let tx = store.db.begin_read().unwrap();
    let names: Vec<String> = tx
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n == tables::SEGMENTS_V1.name()),
        "{names:?}"
    );
}
