//! Counts in words: a number and the noun agreeing with it (`1 conversion`,
//! `2 conversions`, `0 leads`), for every count the dashboard puts before a
//! noun.

use std::fmt::Display;

/// `one` when `n` is 1, else `many`: for markup that sets the number apart
/// (`strong { (n) } " " (noun(n, "conversion", "conversions"))`).
#[must_use]
pub fn noun<'a, T: PartialEq + From<u8>>(n: T, one: &'a str, many: &'a str) -> &'a str {
    if n == T::from(1) { one } else { many }
}

/// `n` and its noun: `1 conversion`, `3 conversions`.
#[must_use]
pub fn count<T: Display + PartialEq + From<u8> + Copy>(n: T, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_takes_the_singular_and_every_other_count_the_plural() {
        assert_eq!(count(1_u64, "conversion", "conversions"), "1 conversion");
        assert_eq!(count(2_usize, "conversion", "conversions"), "2 conversions");
        assert_eq!(count(0_u32, "lead", "leads"), "0 leads");
        assert_eq!(count(1_usize, "row", "rows"), "1 row");
        assert_eq!(noun(11_u64, "day", "days"), "days");
    }
}
