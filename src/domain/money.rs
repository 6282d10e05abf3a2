//! Revenue in several currencies. Amounts are kept apart per currency (ISO
//! 4217 code) and are never summed across currencies unless the site gave an
//! exchange rate: Touchpoint fetches no rates. A report shows revenue in one
//! currency — the site's reporting currency, or else the currency most of the
//! matching revenue events were in — and names what it could not convert.

use std::collections::BTreeMap;

/// An ISO 4217 currency code, three upper-case ASCII letters.
pub type CurrencyCode = [u8; 3];

/// Most currencies kept apart in one set of sums; revenue in further
/// currencies is counted in `overflow` and reported as not converted.
pub const MAX_CURRENCIES: usize = 4;

/// Revenue of some events, by currency. `Copy`, so report sums stay cheap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revenues {
    slots: [(CurrencyCode, i64, u32); MAX_CURRENCIES],
    len: u8,
    /// Events with revenue in currencies beyond [`MAX_CURRENCIES`].
    pub overflow: u32,
}

impl Revenues {
    /// Adds `events` events worth `micros` (millionths) in `currency`.
    pub fn add(&mut self, currency: CurrencyCode, micros: i64, events: u32) {
        let n = usize::from(self.len);
        if let Some(s) = self.slots[..n].iter_mut().find(|s| s.0 == currency) {
            s.1 = s.1.saturating_add(micros);
            s.2 = s.2.saturating_add(events);
        } else if n < MAX_CURRENCIES {
            self.slots[n] = (currency, micros, events);
            self.len += 1;
        } else {
            self.overflow = self.overflow.saturating_add(events);
        }
    }

    /// Adds every currency of `o`.
    pub fn add_all(&mut self, o: &Self) {
        for &(c, m, e) in o.iter() {
            self.add(c, m, e);
        }
        self.overflow = self.overflow.saturating_add(o.overflow);
    }

    /// (currency, millionths, events) per currency, in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = &(CurrencyCode, i64, u32)> {
        self.slots[..usize::from(self.len)].iter()
    }

    /// Events that carried revenue, in any currency.
    #[must_use]
    pub fn events(&self) -> u32 {
        self.iter().map(|s| s.2).sum::<u32>() + self.overflow
    }

    /// The currency with the most revenue events (ties: alphabetical).
    #[must_use]
    pub fn dominant(&self) -> Option<CurrencyCode> {
        self.iter()
            .max_by(|a, b| a.2.cmp(&b.2).then_with(|| b.0.cmp(&a.0)))
            .map(|s| s.0)
    }
}

/// How a site's revenue is shown: in its reporting currency, converting other
/// currencies only at the rates the site gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Money {
    /// The reporting currency; `None` = the dominant currency of the data.
    pub currency: Option<CurrencyCode>,
    /// Units of the reporting currency per unit of another currency.
    pub rates: BTreeMap<CurrencyCode, f64>,
}

/// Revenue in one currency, and what could not be converted into it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InOneCurrency {
    /// Millionths of `currency`.
    pub micros: i64,
    /// Events counted in `micros`.
    pub events: u32,
    /// Millionths per currency without a rate, left out of `micros`.
    pub not_converted: Vec<(CurrencyCode, i64)>,
}

impl Money {
    /// The currency revenue of `total` is shown in.
    #[must_use]
    pub fn target(&self, total: &Revenues) -> Option<CurrencyCode> {
        self.currency.or_else(|| total.dominant())
    }

    /// One amount (millionths of `currency`) in units of `target`; `None`
    /// when the site gave no rate for `currency`.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn amount_in(
        &self,
        currency: CurrencyCode,
        micros: i64,
        target: CurrencyCode,
    ) -> Option<f64> {
        let rate = if currency == target {
            1.0
        } else {
            *self.rates.get(&currency)?
        };
        Some(micros as f64 / 1e6 * rate)
    }

    /// `r` in `target`: its own amount plus other currencies at the site's
    /// rates; currencies without a rate are listed, not summed.
    #[must_use]
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    pub fn convert(&self, r: &Revenues, target: CurrencyCode) -> InOneCurrency {
        let mut out = InOneCurrency::default();
        for &(c, micros, events) in r.iter() {
            let rate = if c == target {
                Some(1.0)
            } else {
                self.rates.get(&c).copied()
            };
            match rate {
                Some(rate) => {
                    out.micros = out
                        .micros
                        .saturating_add((micros as f64 * rate).round() as i64);
                    out.events += events;
                }
                None => out.not_converted.push((c, micros)),
            }
        }
        out
    }
}

/// Parses a currency code (`eur` → `EUR`).
#[must_use]
pub fn parse_code(s: &str) -> Option<CurrencyCode> {
    let b = s.trim().as_bytes();
    (b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic))
        .then(|| [b[0], b[1], b[2]].map(|c| c.to_ascii_uppercase()))
}

/// An amount in micro-units as exact decimal text (`120000000` → `120`,
/// `-1234500` → `-1.2345`).
#[must_use]
pub fn micros_to_decimal(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let (units, frac) = (m / 1_000_000, m % 1_000_000);
    if frac == 0 {
        format!("{sign}{units}")
    } else {
        let f = format!("{frac:06}");
        format!("{sign}{units}.{}", f.trim_end_matches('0'))
    }
}

/// A currency code as text.
#[must_use]
pub fn code_str(c: CurrencyCode) -> String {
    String::from_utf8_lossy(&c).into_owned()
}

/// Parses exchange rates written as `USD=0.92, GBP=1.17` (units of the
/// reporting currency per unit of each).
///
/// # Errors
/// A message naming the first entry that is not `CODE=positive number`.
pub fn parse_rates(s: &str) -> Result<BTreeMap<CurrencyCode, f64>, String> {
    let mut out = BTreeMap::new();
    for part in s
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let bad = || format!("“{part}” is not CODE=rate (e.g. USD=0.92)");
        let (code, rate) = part.split_once('=').ok_or_else(bad)?;
        let code = parse_code(code).ok_or_else(bad)?;
        let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(bad());
        }
        out.insert(code, rate);
    }
    Ok(out)
}

/// Parses a decimal amount into millionths, exactly (no float rounding).
#[must_use]
pub fn parse_decimal_micros(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac6: String = frac.chars().take(6).collect();
    while frac6.len() < 6 {
        frac6.push('0');
    }
    let v = int
        .checked_mul(1_000_000)?
        .checked_add(frac6.parse::<i64>().ok()?)?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUR: CurrencyCode = *b"EUR";
    const USD: CurrencyCode = *b"USD";

    #[test]
    fn currencies_are_kept_apart_and_converted_only_at_given_rates() {
        let mut r = Revenues::default();
        r.add(USD, 10_000_000, 1);
        r.add(EUR, 5_000_000, 1);
        r.add(USD, 2_000_000, 1);
        assert_eq!(r.dominant(), Some(USD), "two USD events against one EUR");
        let plain = Money::default();
        let t = plain.target(&r).unwrap();
        let c = plain.convert(&r, t);
        assert_eq!((c.micros, c.events), (12_000_000, 2));
        assert_eq!(
            c.not_converted,
            vec![(EUR, 5_000_000)],
            "no rate: named, not summed"
        );

        let rated = Money {
            currency: Some(EUR),
            rates: parse_rates("usd=0.5").unwrap(),
        };
        let c = rated.convert(&r, rated.target(&r).unwrap());
        assert_eq!(
            (c.micros, c.events),
            (11_000_000, 3),
            "5 EUR + 12 USD × 0.5"
        );
        assert!(c.not_converted.is_empty());
    }

    #[test]
    fn a_fifth_currency_is_counted_as_overflow_and_ties_pick_alphabetically() {
        let mut r = Revenues::default();
        for c in [b"EUR", b"USD", b"GBP", b"SEK", b"NOK"] {
            r.add(*c, 1, 1);
        }
        assert_eq!(r.overflow, 1);
        assert_eq!(r.events(), 5);
        assert_eq!(r.dominant(), Some(*b"EUR"));
    }

    #[test]
    fn rates_parse_or_name_the_bad_entry() {
        assert_eq!(parse_rates("").unwrap().len(), 0);
        assert_eq!(parse_rates("USD=0.92, gbp = 1.17").unwrap().len(), 2);
        for bad in ["USD", "US=1", "USD=abc", "USD=-1", "USD=0", "USD=inf"] {
            let e = parse_rates(bad).unwrap_err();
            assert!(
                e.contains(bad.split(',').next().unwrap().trim()),
                "{bad}: {e}"
            );
        }
    }
}
