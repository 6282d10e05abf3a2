//! Event rows as TabSeparated text, both ways: a visit's events out to
//! `events`, and rows back into the [`SessionRecord`] the readers know.

use std::fmt::Write as _;

use super::{ClickHouseError, array_field, field};
use crate::store::record::{Engagement, EventRecord, Revenue, SessionRecord};

/// Row kinds.
pub(super) const KIND_EVENT: u8 = 0;
/// An engagement ping crediting the pageview with the same `seq`.
pub(super) const KIND_ENGAGEMENT: u8 = 1;

/// Where a row belongs.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowKey {
    pub site: u32,
    pub start_ms: u64,
    pub visit: u64,
    pub seq: u32,
    pub kind: u8,
}

fn array(out: &mut String, values: impl Iterator<Item = u32>) {
    out.push('[');
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v}");
    }
    out.push(']');
}

/// The currency as a number (`[0, c0, c1, c2]` big-endian), 0 for none.
fn currency_code(r: Option<Revenue>) -> u32 {
    r.map_or(0, |r| {
        u32::from_be_bytes([0, r.currency[0], r.currency[1], r.currency[2]])
    })
}

/// Appends one row (columns as `schema::EVENT_COLUMNS`): the event `e` (or,
/// for a ping, the pageview it credits with only `ping` set) of visit `h`.
pub(super) fn push_row(
    out: &mut String,
    k: RowKey,
    h: &SessionRecord,
    e: &EventRecord,
    ping: Option<Engagement>,
) {
    let _ = write!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
        k.site,
        k.start_ms,
        k.visit,
        k.seq,
        k.kind,
        h.visitor,
        e.offset_ms,
        e.name,
        e.path,
        u8::from(e.pageview),
        u8::from(e.interactive),
    );
    array(out, e.props.iter().map(|p| p.0));
    out.push('\t');
    array(out, e.props.iter().map(|p| p.1));
    let (engaged, scroll) = match ping {
        Some(g) => (g.engaged_ms, g.scroll.map_or(-1, i16::from)),
        None => (0, -1),
    };
    let revenue = if ping.is_some() { None } else { e.revenue };
    let _ = write!(
        out,
        "\t{}\t{}\t{engaged}\t{scroll}\t{}\t{}\t{}\t{}",
        currency_code(revenue),
        revenue.map_or(0, |r| r.amount_micros),
        h.hostname,
        h.referrer,
        h.source,
        h.channel,
    );
    for u in h.utm {
        let _ = write!(out, "\t{u}");
    }
    let _ = writeln!(
        out,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        h.click,
        u16::from_be_bytes(h.country),
        h.region,
        h.city,
        h.device,
        h.browser,
        h.browser_version,
        h.os,
        h.os_version,
    );
}

/// Columns read back, in order: the visit's key, then what
/// [`apply_row`] reads. The visitor goes through `visitor_aliases`.
pub(super) const READ_COLUMNS: &str = "site, visit_start_ms, visit_id, seq, kind, \
    if(to_visitor = 0, visitor, to_visitor), offset_ms, name, path, pageview, interactive, \
    prop_keys, prop_values, revenue_currency, revenue_micros, engaged_ms, scroll, hostname, \
    referrer, source, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, \
    utm_id, click, country, region, city, device, browser, browser_version, os, os_version";

/// The key of a row read with [`READ_COLUMNS`].
pub(super) fn row_key(f: &[&str]) -> Result<RowKey, ClickHouseError> {
    Ok(RowKey {
        site: field(f, 0)?,
        start_ms: field(f, 1)?,
        visit: field(f, 2)?,
        seq: field(f, 3)?,
        kind: field(f, 4)?,
    })
}

/// Adds a row (read with [`READ_COLUMNS`], rows of a visit in `seq, kind`
/// order) to `rec`: the first row sets the visit's attributes, event rows
/// add events, pings credit their pageview.
pub(super) fn apply_row(
    rec: &mut SessionRecord,
    f: &[&str],
    first: bool,
) -> Result<(), ClickHouseError> {
    let k = row_key(f)?;
    if first {
        rec.visitor = field(f, 5)?;
        rec.hostname = field(f, 17)?;
        rec.referrer = field(f, 18)?;
        rec.source = field(f, 19)?;
        rec.channel = field(f, 20)?;
        for (i, u) in rec.utm.iter_mut().enumerate() {
            *u = field(f, 21 + i)?;
        }
        rec.click = field(f, 27)?;
        rec.country = field::<u16>(f, 28)?.to_be_bytes();
        rec.region = field(f, 29)?;
        rec.city = field(f, 30)?;
        rec.device = field(f, 31)?;
        rec.browser = field(f, 32)?;
        rec.browser_version = field(f, 33)?;
        rec.os = field(f, 34)?;
        rec.os_version = field(f, 35)?;
        rec.events.clear();
    }
    if k.kind == KIND_ENGAGEMENT {
        let scroll: i16 = field(f, 16)?;
        let ping = Engagement {
            engaged_ms: field(f, 15)?,
            scroll: u8::try_from(scroll).ok(),
        };
        // Rows come in (seq, kind) order: the pageview is already there.
        if let Some(e) = usize::try_from(k.seq)
            .ok()
            .and_then(|i| rec.events.get_mut(i))
        {
            e.engagement
                .get_or_insert_with(Engagement::default)
                .add(ping);
        }
        return Ok(());
    }
    let keys = array_field(f, 11)?;
    let values = array_field(f, 12)?;
    let currency: u32 = field(f, 13)?;
    let b = currency.to_be_bytes();
    rec.events.push(EventRecord {
        offset_ms: field(f, 6)?,
        name: field(f, 7)?,
        path: field(f, 8)?,
        pageview: field::<u8>(f, 9)? != 0,
        interactive: field::<u8>(f, 10)? != 0,
        props: keys.into_iter().zip(values).collect(),
        revenue: (currency != 0)
            .then(|| {
                Ok::<_, ClickHouseError>(Revenue {
                    amount_micros: field(f, 14)?,
                    currency: [b[1], b[2], b[3]],
                })
            })
            .transpose()?,
        engagement: None,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_survives_the_round_trip_through_rows() {
        let mut h = SessionRecord {
            visitor: 77,
            hostname: 3,
            source: 4,
            channel: 2,
            utm: [5, 6, 7, 0, 0, 9],
            click: 1,
            country: *b"DE",
            region: 10,
            city: 11,
            device: 2,
            browser: 12,
            browser_version: 13,
            os: 14,
            os_version: 15,
            referrer: 16,
            events: Vec::new(),
        };
        let events = vec![
            EventRecord {
                offset_ms: 0,
                path: 20,
                pageview: true,
                interactive: true,
                ..EventRecord::default()
            },
            EventRecord {
                offset_ms: 1500,
                name: 21,
                path: 20,
                interactive: false,
                props: vec![(30, 31), (32, 33)],
                revenue: Some(Revenue {
                    amount_micros: -12_500_000,
                    currency: *b"EUR",
                }),
                ..EventRecord::default()
            },
        ];
        let key = |seq, kind| RowKey {
            site: 1,
            start_ms: 1_700_000_000_000,
            visit: 9,
            seq,
            kind,
        };
        let mut text = String::new();
        push_row(&mut text, key(0, KIND_EVENT), &h, &events[0], None);
        push_row(&mut text, key(1, KIND_EVENT), &h, &events[1], None);
        let ping = Engagement {
            engaged_ms: 4000,
            scroll: Some(80),
        };
        push_row(
            &mut text,
            key(0, KIND_ENGAGEMENT),
            &h,
            &events[0],
            Some(ping),
        );
        push_row(
            &mut text,
            key(0, KIND_ENGAGEMENT),
            &h,
            &events[0],
            Some(ping),
        );
        // Rows come back with the alias column in place of `visitor`: same text here.
        let mut rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        rows.sort_by_key(|r| (r[3].parse::<u32>().unwrap(), r[4].parse::<u8>().unwrap()));
        let mut back = SessionRecord::default();
        for (i, r) in rows.iter().enumerate() {
            apply_row(&mut back, r, i == 0).unwrap();
        }
        h.events = events;
        h.events[0].engagement = Some(Engagement {
            engaged_ms: 8000,
            scroll: Some(80),
        });
        assert_eq!(back, h);
    }
}
