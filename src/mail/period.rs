//! A report's dates: the last whole week (Monday to Sunday) or calendar
//! month before a local date, and the one before it for comparison.

use chrono::{Datelike, Days, Months, NaiveDate};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Monday to Sunday.
    Weekly,
    /// A calendar month.
    Monthly,
}

impl Kind {
    /// `weekly` / `monthly`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// `week` / `month`, for sentences.
    #[must_use]
    pub fn period_word(self) -> &'static str {
        match self {
            Self::Weekly => "week",
            Self::Monthly => "month",
        }
    }
}

/// A report's dates (local to the site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Weekly or monthly.
    pub kind: Kind,
    /// First day.
    pub first: NaiveDate,
    /// Last day (inclusive).
    pub last: NaiveDate,
}

impl Period {
    /// The last whole period before `today`: the week (Monday to Sunday)
    /// before this one, or last calendar month.
    #[must_use]
    pub fn last_finished(kind: Kind, today: NaiveDate) -> Self {
        match kind {
            Kind::Weekly => {
                let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
                Self {
                    kind,
                    first: monday - Days::new(7),
                    last: monday - Days::new(1),
                }
            }
            Kind::Monthly => {
                let this = today.with_day(1).unwrap_or(today);
                Self {
                    kind,
                    first: this - Months::new(1),
                    last: this - Days::new(1),
                }
            }
        }
    }

    /// The period just before this one, of the same kind.
    #[must_use]
    pub fn previous(&self) -> Self {
        Self::last_finished(self.kind, self.first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_last_finished_week_is_monday_to_sunday_before_this_one() {
        // 2024-03-15 is a Friday; on a Monday the week just ended is reported.
        for today in ["2024-03-15", "2024-03-11", "2024-03-17"] {
            let p = Period::last_finished(Kind::Weekly, d(today));
            assert_eq!(
                (p.first, p.last),
                (d("2024-03-04"), d("2024-03-10")),
                "{today}"
            );
        }
        let before = Period::last_finished(Kind::Weekly, d("2024-03-15")).previous();
        assert_eq!(
            (before.first, before.last),
            (d("2024-02-26"), d("2024-03-03"))
        );
    }

    #[test]
    fn the_last_finished_month_is_last_calendar_month() {
        let p = Period::last_finished(Kind::Monthly, d("2024-03-01"));
        assert_eq!((p.first, p.last), (d("2024-02-01"), d("2024-02-29")));
        let before = p.previous();
        assert_eq!(
            (before.first, before.last),
            (d("2024-01-01"), d("2024-01-31"))
        );
    }
}
