//! The visit fields a segment stores as dictionary-coded columns, in column
//! order: how each is read from a visit's record and put back.

use crate::store::{codec::CodecError, record::SessionRecord};

/// A visit-level field of [`SessionRecord`] stored as a column (entry and
/// exit pages are derived from the events; `utm_id` has a column of its own,
/// `col::UTM_ID`). Reports know them as the visit dimensions of the same
/// names, in the same order (`stats::segment::VISIT_DIMS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitField {
    /// Path of the first pageview.
    EntryPage,
    /// Path of the last pageview.
    ExitPage,
    /// Interned source name.
    Source,
    /// Interned referrer.
    Referrer,
    /// Channel code.
    Channel,
    /// Interned UTM tag: source, medium, campaign, term, content (0 to 4).
    Utm(u8),
    /// Click id kind.
    ClickId,
    /// Device code.
    Device,
    /// Interned browser name.
    Browser,
    /// Interned browser version.
    BrowserVersion,
    /// Interned OS name.
    Os,
    /// Interned OS version.
    OsVersion,
    /// Country code, its two letters as a big-endian `u16`.
    Country,
    /// Interned subdivision code.
    Region,
    /// Interned city name.
    City,
    /// Interned hostname.
    Hostname,
}

/// The stored visit fields, in column order (`col::DIMS + index`).
pub const VISIT_FIELDS: [VisitField; 20] = [
    VisitField::EntryPage,
    VisitField::ExitPage,
    VisitField::Source,
    VisitField::Referrer,
    VisitField::Channel,
    VisitField::Utm(0),
    VisitField::Utm(1),
    VisitField::Utm(2),
    VisitField::Utm(3),
    VisitField::Utm(4),
    VisitField::ClickId,
    VisitField::Device,
    VisitField::Browser,
    VisitField::BrowserVersion,
    VisitField::Os,
    VisitField::OsVersion,
    VisitField::Country,
    VisitField::Region,
    VisitField::City,
    VisitField::Hostname,
];

impl VisitField {
    /// The field's value in `rec`, as its column stores it.
    #[must_use]
    pub fn raw(self, rec: &SessionRecord) -> u32 {
        match self {
            Self::EntryPage => rec.entry_path(),
            Self::ExitPage => rec.exit_path(),
            Self::Source => rec.source,
            Self::Referrer => rec.referrer,
            Self::Channel => u32::from(rec.channel),
            Self::Utm(i) => rec.utm.get(usize::from(i)).copied().unwrap_or(0),
            Self::ClickId => u32::from(rec.click),
            Self::Device => u32::from(rec.device),
            Self::Browser => rec.browser,
            Self::BrowserVersion => rec.browser_version,
            Self::Os => rec.os,
            Self::OsVersion => rec.os_version,
            Self::Country => u32::from(u16::from_be_bytes(rec.country)),
            Self::Region => rec.region,
            Self::City => rec.city,
            Self::Hostname => rec.hostname,
        }
    }

    /// Puts a stored value back in `rec` (entry and exit pages: nothing,
    /// they come from the events).
    ///
    /// # Errors
    /// A value too large for its field (a corrupt column).
    pub fn set(self, rec: &mut SessionRecord, v: u32) -> Result<(), CodecError> {
        let small = || u8::try_from(v).map_err(|_| CodecError("segment value"));
        match self {
            Self::EntryPage | Self::ExitPage => {}
            Self::Source => rec.source = v,
            Self::Referrer => rec.referrer = v,
            Self::Channel => rec.channel = small()?,
            Self::Utm(i) => {
                *rec.utm
                    .get_mut(usize::from(i))
                    .ok_or(CodecError("segment value"))? = v;
            }
            Self::ClickId => rec.click = small()?,
            Self::Device => rec.device = small()?,
            Self::Browser => rec.browser = v,
            Self::BrowserVersion => rec.browser_version = v,
            Self::Os => rec.os = v,
            Self::OsVersion => rec.os_version = v,
            Self::Country => {
                rec.country = u16::try_from(v)
                    .map_err(|_| CodecError("segment value"))?
                    .to_be_bytes();
            }
            Self::Region => rec.region = v,
            Self::City => rec.city = v,
            Self::Hostname => rec.hostname = v,
        }
        Ok(())
    }
}
