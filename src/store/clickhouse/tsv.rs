//! SQL text and TabSeparated answers: quoting names and strings, and
//! parsing the numbers and arrays of numbers Touchpoint's rows hold.

use super::ClickHouseError;

/// A name quoted for ClickHouse SQL (backticks, with backticks and
/// backslashes escaped).
#[must_use]
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

/// A string quoted for ClickHouse SQL.
#[must_use]
pub fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Parses one TabSeparated number field.
///
/// # Errors
/// [`ClickHouseError::Decode`] naming the field.
pub fn field<T: std::str::FromStr>(fields: &[&str], i: usize) -> Result<T, ClickHouseError> {
    fields
        .get(i)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ClickHouseError::Decode(format!("field {i} of {fields:?}")))
}

/// Parses a TabSeparated array of numbers (`[1,2,3]`).
///
/// # Errors
/// [`ClickHouseError::Decode`].
pub fn array_field<T: std::str::FromStr>(
    fields: &[&str],
    i: usize,
) -> Result<Vec<T>, ClickHouseError> {
    let bad = || ClickHouseError::Decode(format!("array field {i} of {fields:?}"));
    let s = fields.get(i).ok_or_else(bad)?;
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(bad)?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|v| v.parse().map_err(|_| bad()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_would_end_the_literal() {
        assert_eq!(quote_ident("touch`point"), "`touch\\`point`");
        assert_eq!(quote_str("it's \\ here"), "'it\\'s \\\\ here'");
    }

    #[test]
    fn arrays_of_numbers_parse() {
        assert_eq!(array_field::<u32>(&["[]"], 0).unwrap(), Vec::<u32>::new());
        assert_eq!(
            array_field::<u32>(&["[1,22,3]"], 0).unwrap(),
            vec![1, 22, 3]
        );
        assert!(array_field::<u32>(&["1,2"], 0).is_err());
        assert!(array_field::<i64>(&["[1,x]"], 0).is_err());
    }
}
