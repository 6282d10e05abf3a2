//! Ad spend: what a site paid for its campaigns, per day and campaign, as
//! ad platforms export it. Touchpoint joins it to campaigns by their UTM
//! values (see `attribution::spend`) to weigh attributed revenue against it.
//!
//! # CSV ([`parse_csv`])
//!
//! A header row names the columns, in any order and any case:
//! `date` (`YYYY-MM-DD`, the site's local day), `source`, `medium`,
//! `campaign` (the `utm_source`, `utm_medium` and `utm_campaign` the ads'
//! links carry; `source` and `medium` may be empty), `spend` (a decimal
//! amount, `.` as the separator, no thousands separators, ≥ 0) and
//! `currency` (ISO 4217); optionally `clicks` and `impressions` (whole
//! numbers). Other columns are ignored. Texts are normalised as the
//! tracker normalises UTM values, so `Spring Sale` in the file is the
//! `Spring Sale` of `utm_campaign=Spring+Sale`.
//!
//! Rows of one upload with the same day, source, medium and campaign are
//! summed (an export's ad groups); a stored row for that key is replaced
//! by the upload's (re-uploading a day corrects it).

use chrono::NaiveDate;

use super::{
    calendar::day_number,
    money::{CurrencyCode, parse_code, parse_decimal_micros},
    text::{Field, normalise},
};

/// Most rows one upload may hold.
pub const MAX_ROWS: usize = 100_000;

/// A row's fields by name, as a CSV's header and a JSON row name them.
pub const FIELDS: [&str; 8] = [
    "date",
    "source",
    "medium",
    "campaign",
    "spend",
    "currency",
    "clicks",
    "impressions",
];

/// What a spend row is about: a local day and a campaign's UTM values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpendKey {
    /// Local day, days since 1970-01-01.
    pub day: u32,
    /// `utm_source` ("" when none).
    pub source: String,
    /// `utm_medium` ("" when none).
    pub medium: String,
    /// `utm_campaign`.
    pub campaign: String,
}

/// What was spent on one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpendAmount {
    /// Millionths of `currency`.
    pub micros: i64,
    /// ISO 4217.
    pub currency: CurrencyCode,
    /// Ad clicks, when the export had them.
    pub clicks: Option<u64>,
    /// Ad impressions, when the export had them.
    pub impressions: Option<u64>,
}

/// One row: a key and its amount.
pub type SpendRow = (SpendKey, SpendAmount);

/// Why a CSV (or a row of the API) was refused; nothing of it is stored.
#[derive(Debug, thiserror::Error)]
pub enum SpendError {
    /// The CSV could not be read.
    #[error("the CSV could not be read")]
    Csv(#[source] csv::Error),
    /// A required column is missing from the header.
    #[error(
        "the header has no {0:?} column (required: date, source, medium, campaign, spend, currency)"
    )]
    MissingColumn(&'static str),
    /// A row's value is wrong; `line` is 1-based and counts the header.
    #[error("line {line}: {reason}")]
    Row {
        /// The line (the header is line 1).
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Too many rows.
    #[error("an upload holds at most {MAX_ROWS} rows")]
    TooMany,
    /// Two currencies for one key in one upload.
    #[error("line {line}: {campaign:?} on {date} is in two currencies")]
    MixedCurrency {
        /// The later line.
        line: u64,
        /// The campaign.
        campaign: String,
        /// The day.
        date: NaiveDate,
    },
}

/// One row's fields as text (from a CSV line or a JSON object).
#[derive(Debug, Default, Clone)]
pub struct RawRow<'a> {
    /// `date`.
    pub date: &'a str,
    /// `source`.
    pub source: &'a str,
    /// `medium`.
    pub medium: &'a str,
    /// `campaign`.
    pub campaign: &'a str,
    /// `spend`.
    pub spend: &'a str,
    /// `currency`.
    pub currency: &'a str,
    /// `clicks`, empty when absent.
    pub clicks: &'a str,
    /// `impressions`, empty when absent.
    pub impressions: &'a str,
}

/// Validates one row; the error is its reason.
///
/// # Errors
/// A reason naming the field that is wrong.
pub fn parse_row(r: &RawRow<'_>) -> Result<SpendRow, String> {
    let date = NaiveDate::parse_from_str(r.date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("date {:?} is not a YYYY-MM-DD date", r.date))?;
    if !(1970..=9999).contains(&chrono::Datelike::year(&date)) {
        return Err(format!("date {:?} is before 1970", r.date));
    }
    let campaign = normalise(Field::Query, r.campaign);
    if campaign.is_empty() {
        return Err("campaign is empty".into());
    }
    let micros = parse_decimal_micros(r.spend)
        .filter(|m| *m >= 0)
        .ok_or_else(|| format!("spend {:?} is not an amount ≥ 0 (like 12.50)", r.spend))?;
    let currency = parse_code(r.currency.trim())
        .ok_or_else(|| format!("currency {:?} is not an ISO 4217 code", r.currency))?;
    let count = |name: &str, v: &str| -> Result<Option<u64>, String> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| format!("{name} {v:?} is not a whole number"))
    };
    Ok((
        SpendKey {
            day: day_number(date),
            source: normalise(Field::Query, r.source),
            medium: normalise(Field::Query, r.medium),
            campaign,
        },
        SpendAmount {
            micros,
            currency,
            clicks: count("clicks", r.clicks)?,
            impressions: count("impressions", r.impressions)?,
        },
    ))
}

/// Adds `row` to `rows`, summing it into an earlier row of the same key.
///
/// # Errors
/// [`SpendError::MixedCurrency`] when that row is in another currency.
pub fn merge(
    rows: &mut std::collections::BTreeMap<SpendKey, SpendAmount>,
    (key, amount): SpendRow,
    line: u64,
) -> Result<(), SpendError> {
    if rows.len() >= MAX_ROWS && !rows.contains_key(&key) {
        return Err(SpendError::TooMany);
    }
    match rows.get_mut(&key) {
        None => {
            rows.insert(key, amount);
        }
        Some(a) if a.currency != amount.currency => {
            return Err(SpendError::MixedCurrency {
                line,
                campaign: key.campaign,
                date: super::calendar::date_of_day(key.day),
            });
        }
        Some(a) => {
            a.micros = a.micros.saturating_add(amount.micros);
            let sum = |x: Option<u64>, y: Option<u64>| match (x, y) {
                (None, None) => None,
                (x, y) => Some(x.unwrap_or(0).saturating_add(y.unwrap_or(0))),
            };
            a.clicks = sum(a.clicks, amount.clicks);
            a.impressions = sum(a.impressions, amount.impressions);
        }
    }
    Ok(())
}

/// Parses a spend CSV (see the module doc) into rows, one per key.
///
/// # Errors
/// [`SpendError`] naming the first line or column that is wrong.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<SpendRow>, SpendError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = rdr.headers().map_err(SpendError::Csv)?.clone();
    let col = |name: &'static str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or(SpendError::MissingColumn(name))
    };
    let required = [
        col("date")?,
        col("source")?,
        col("medium")?,
        col("campaign")?,
        col("spend")?,
        col("currency")?,
    ];
    let optional = [col("clicks").ok(), col("impressions").ok()];
    let mut rows = std::collections::BTreeMap::new();
    for (i, record) in rdr.records().enumerate() {
        let record = record.map_err(SpendError::Csv)?;
        let line = record.position().map_or(i as u64 + 2, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |c: usize| record.get(c).unwrap_or("");
        let raw = RawRow {
            date: get(required[0]),
            source: get(required[1]),
            medium: get(required[2]),
            campaign: get(required[3]),
            spend: get(required[4]),
            currency: get(required[5]),
            clicks: optional[0].map_or("", get),
            impressions: optional[1].map_or("", get),
        };
        let row = parse_row(&raw).map_err(|reason| SpendError::Row { line, reason })?;
        merge(&mut rows, row, line)?;
    }
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "Date,Source,Medium,Campaign,Spend,Currency,Clicks\n\
        2024-03-01,google,cpc,Spring Sale,10.50,EUR,7\n\
        2024-03-01,google,cpc,Spring+Sale,4.5,EUR,3\n\
        2024-03-02,facebook,paid,may,100,USD,\n";

    #[test]
    fn rows_of_one_key_are_summed_and_texts_normalised() {
        let rows = parse_csv(CSV.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        let (k, a) = &rows[0];
        assert_eq!(
            (k.source.as_str(), k.campaign.as_str()),
            ("google", "Spring Sale")
        );
        assert_eq!((a.micros, a.clicks), (15_000_000, Some(10)));
        assert_eq!(rows[1].1.clicks, None);
        assert_eq!(&rows[1].1.currency, b"USD");
    }

    #[test]
    fn a_bad_row_names_its_line_and_field() {
        let bad = "date,source,medium,campaign,spend,currency\n\
            2024-03-01,g,cpc,a,1,EUR\n2024-03-01,g,cpc,b,-3,EUR\n";
        let e = parse_csv(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with("line 3: spend \"-3\""), "{e}");
        let e = parse_csv(b"date,source,campaign,spend,currency\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"medium\""), "{e}");
        let e = parse_csv(b"date,source,medium,campaign,spend,currency\n1969-12-31,g,c,a,1,EUR\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("before 1970"), "{e}");
        let e = parse_csv(b"date,source,medium,campaign,spend,currency\n03/01/2024,g,c,a,1,EUR\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("YYYY-MM-DD"), "{e}");
        let two = "date,source,medium,campaign,spend,currency\n\
            2024-03-01,g,cpc,a,1,EUR\n2024-03-01,g,cpc,a,1,USD\n";
        assert!(matches!(
            parse_csv(two.as_bytes()),
            Err(SpendError::MixedCurrency { line: 3, .. })
        ));
    }

    #[test]
    fn an_email_in_a_campaign_is_redacted() {
        let csv = "date,source,medium,campaign,spend,currency\n\
            2024-03-01,g,cpc,for mary@example.com,1,EUR\n";
        let rows = parse_csv(csv.as_bytes()).unwrap();
        assert!(!rows[0].0.campaign.contains("mary@"));
    }
}
