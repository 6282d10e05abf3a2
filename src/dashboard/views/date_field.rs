//! A labelled date input that also says its date in ISO form. The browser
//! shows an `<input type=date>` in the reader's locale (`15/02/2024`,
//! `2/15/2024`) while the rest of the dashboard writes `2024-02-15`, so the
//! caption repeats the value as ISO; the dashboard's script keeps it in step
//! as the date is changed.

use chrono::NaiveDate;
use maud::{Markup, html};

/// A date field: the caption (`From`), then the ISO date, then the input.
/// `required` for forms that need the date.
#[must_use]
pub fn date_field(caption: &str, name: &str, value: Option<NaiveDate>, required: bool) -> Markup {
    html! {
        label.date-field {
            span.caption { (caption) " " span.iso-date { @if let Some(d) = value { (d) } } }
            input type="date" name=(name) value=[value] required[required];
        }
    }
}
