//! How mails show numbers. Every count a report or alert shows goes through
//! [`Counts::count`] (and every change through [`Counts::change`]), so a
//! per-site minimum — counts below k read "fewer than k" — is applied here
//! and nowhere else.

/// The count formatting of one mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Counts from 1 to this − 1 read "fewer than N"; 0 shows every count
    /// as is.
    pub min_shown: u64,
}

impl Counts {
    /// A count as shown: `1,234`; from 1 to [`Counts::min_shown`] − 1:
    /// `fewer than N` (0 reveals no one and reads `0`).
    #[must_use]
    pub fn count(&self, n: u64) -> String {
        if !self.shown(n) {
            format!("fewer than {}", grouped(self.min_shown))
        } else {
            grouped(n)
        }
    }

    /// Whether a count is shown as itself (a change needs both sides shown,
    /// or it would tell what "fewer than N" hides).
    #[must_use]
    pub fn shown(&self, n: u64) -> bool {
        n == 0 || n >= self.min_shown
    }

    /// The change from `before` to `now` of a count: `+25%`, `-10%`, `0%`,
    /// `new` (from 0); empty when either side is hidden.
    #[must_use]
    pub fn change(&self, now: u64, before: u64) -> String {
        if !self.shown(now) || !self.shown(before) {
            return String::new();
        }
        #[allow(clippy::cast_precision_loss)]
        change(now as f64, before as f64)
    }
}

/// The change from `before` to `now` of a rate, duration or amount (not a
/// count): `+25%`, `-10%`, `0%`, `new` (from 0).
#[must_use]
pub fn change(now: f64, before: f64) -> String {
    if before == 0.0 {
        return if now == 0.0 {
            "0%".into()
        } else {
            "new".into()
        };
    }
    let pct = ((now - before) / before * 100.0).round();
    if pct > 0.0 {
        format!("+{pct:.0}%")
    } else {
        format!("{pct:.0}%")
    }
}

/// `1234567` as `1,234,567`.
#[must_use]
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A visit duration in seconds as `1m 05s` (`42s` under a minute, `1h 02m`
/// from an hour).
#[must_use]
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// An amount of money in a currency: `1,234.50 EUR`.
#[must_use]
pub fn money(amount: f64, currency: &str) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cents = (amount.abs() * 100.0).round() as u64;
    let sign = if amount < 0.0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02} {currency}",
        grouped(cents / 100),
        cents % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_and_a_minimum_hides_small_ones_and_their_changes() {
        let all = Counts::default();
        assert_eq!(all.count(0), "0");
        assert_eq!(all.count(1234), "1,234");
        assert_eq!(all.count(1_234_567), "1,234,567");
        assert_eq!(all.change(5, 4), "+25%");
        assert_eq!(all.change(3, 0), "new");
        let k = Counts { min_shown: 5 };
        assert_eq!(k.count(4), "fewer than 5");
        assert_eq!(k.count(0), "0", "none is no one to single out");
        assert_eq!(k.count(5), "5");
        assert_eq!(k.change(9, 4), "", "a change would reveal the hidden count");
    }

    #[test]
    fn changes_durations_and_money_read_as_people_write_them() {
        assert_eq!(change(45.0, 50.0), "-10%");
        assert_eq!(change(0.0, 0.0), "0%");
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(65), "1m 05s");
        assert_eq!(duration(3720), "1h 02m");
        assert_eq!(money(1234.5, "EUR"), "1,234.50 EUR");
    }
}
