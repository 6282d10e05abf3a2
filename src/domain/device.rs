//! The device class of a visit, as Plausible reports it; its code is stored
//! in visit rows (classification from user agents lives in ingest).

use std::fmt;

/// Device class as Plausible reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Device {
    /// Anything that is neither a phone nor a tablet (desktops, laptops, TVs,
    /// unknown devices).
    Desktop,
    /// Phones and other small handheld devices.
    Mobile,
    /// Tablets and e-readers.
    Tablet,
}

impl Device {
    /// Every variant, in code order, for building breakdowns that list all
    /// classes including empty ones.
    pub const ALL: [Device; 3] = [Device::Desktop, Device::Mobile, Device::Tablet];

    /// The name Plausible shows and its API accepts.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Desktop => "Desktop",
            Device::Mobile => "Mobile",
            Device::Tablet => "Tablet",
        }
    }

    /// Compact code for storage. Stable: stored data depends on these values,
    /// so never renumber them.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Device::Desktop => 1,
            Device::Mobile => 2,
            Device::Tablet => 3,
        }
    }

    /// Inverse of [`Device::code`]; `None` for an unknown code (e.g. data
    /// written by a newer version).
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Device::Desktop),
            2 => Some(Device::Mobile),
            3 => Some(Device::Tablet),
            _ => None,
        }
    }

    /// Parses a device name case-insensitively (surrounding whitespace
    /// ignored), as found in API filters such as `visit:device==mobile`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Device::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Visit rows store these codes: never renumber, only append.
    #[test]
    fn device_codes_and_names_round_trip() {
        assert_eq!(
            Device::ALL.map(|d| (d.code(), d.as_str())),
            [(1, "Desktop"), (2, "Mobile"), (3, "Tablet")],
            "codes are stored on disk and must stay stable"
        );
        for d in Device::ALL {
            assert_eq!(Device::from_code(d.code()), Some(d));
            assert_eq!(Device::parse(d.as_str()), Some(d));
            assert_eq!(Device::parse(&d.as_str().to_uppercase()), Some(d));
            assert_eq!(d.to_string(), d.as_str());
        }
        assert_eq!(Device::from_code(0), None);
        assert_eq!(Device::from_code(4), None);
        assert_eq!(Device::parse(" mobile "), Some(Device::Mobile));
        assert_eq!(Device::parse("phone"), None);
    }
}
