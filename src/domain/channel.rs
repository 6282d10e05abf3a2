//! Where a visit came from, as stored: the GA4 default channel group and the
//! ad click id kind, each an enum whose discriminant is the stable code kept
//! in visit rows (classification from URLs and referrers lives in ingest).

/// Declares a fieldless enum whose discriminant is its on-disk code.
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal, $s:literal, $doc:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name { $(#[doc = $doc] $v = $code,)+ }

        impl $name {
            /// Every variant in code order, for pickers and exhaustive tests.
            pub const ALL: [Self; [$($code),+].len()] = [$(Self::$v),+];

            /// The name users see and filter on (for click ids, the query parameter itself).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s,)+ }
            }

            /// Stable code stored in session rows: never reuse or renumber, only append.
            #[must_use]
            pub fn code(self) -> u8 {
                self as u8
            }

            /// Inverse of [`Self::code`]; `None` for 0 ("none") and codes from a newer build.
            #[must_use]
            pub fn from_code(c: u8) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.code() == c)
            }

            /// Case-insensitive inverse of [`Self::as_str`], for API filters typed by people.
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }
    };
}

coded_enum! {
    /// GA4 default channel group.
    Channel {
        Direct = 1, "Direct", "No source, medium, campaign, click id or referrer.";
        OrganicSearch = 2, "Organic Search", "Unpaid search engine results.";
        PaidSearch = 3, "Paid Search", "Search ads.";
        OrganicSocial = 4, "Organic Social", "Unpaid social networks.";
        PaidSocial = 5, "Paid Social", "Social ads.";
        Email = 6, "Email", "Newsletters and webmail.";
        Referral = 7, "Referral", "Links from other sites.";
        Display = 8, "Display", "Banner-style ads.";
        Affiliates = 9, "Affiliates", "Affiliate programmes.";
        PaidOther = 10, "Paid Other", "Paid, but no known search/social/video/shopping source.";
        OrganicVideo = 11, "Organic Video", "Unpaid video platforms.";
        PaidVideo = 12, "Paid Video", "Video ads.";
        OrganicShopping = 13, "Organic Shopping", "Unpaid shopping sites and shop campaigns.";
        PaidShopping = 14, "Paid Shopping", "Shopping ads.";
        Sms = 15, "SMS", "Text messages.";
        Audio = 16, "Audio", "Podcast and radio ads.";
        MobilePushNotifications = 17, "Mobile Push Notifications", "App push notifications.";
        CrossNetwork = 18, "Cross-network", "Campaigns across networks (Performance Max).";
        Unassigned = 19, "Unassigned", "Tagged traffic no rule recognises.";
    }
}

coded_enum! {
    /// Which ad click id a landing URL carried.
    ClickKind {
        Gclid = 1, "gclid", "Google Ads.";
        Gbraid = 2, "gbraid", "Google Ads, aggregated iOS measurement.";
        Wbraid = 3, "wbraid", "Google Ads, aggregated iOS measurement.";
        Dclid = 4, "dclid", "Google Display & Video 360 / Campaign Manager.";
        Fbclid = 5, "fbclid", "Meta (Facebook, Instagram).";
        Msclkid = 6, "msclkid", "Microsoft Advertising.";
        Ttclid = 7, "ttclid", "TikTok Ads.";
        LiFatId = 8, "li_fat_id", "LinkedIn Ads.";
        Twclid = 9, "twclid", "X (Twitter) Ads.";
        Epik = 10, "epik", "Pinterest Ads.";
        RdtCid = 11, "rdt_cid", "Reddit Ads.";
        ScCid = 12, "ScCid", "Snapchat Ads.";
        Yclid = 13, "yclid", "Yandex Direct.";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Visit rows store these codes: never renumber, only append.
    #[test]
    fn codes_are_stable_and_round_trip() {
        let channels: Vec<_> = Channel::ALL
            .iter()
            .map(|c| (c.code(), c.as_str()))
            .collect();
        assert_eq!(
            channels,
            [
                (1, "Direct"),
                (2, "Organic Search"),
                (3, "Paid Search"),
                (4, "Organic Social"),
                (5, "Paid Social"),
                (6, "Email"),
                (7, "Referral"),
                (8, "Display"),
                (9, "Affiliates"),
                (10, "Paid Other"),
                (11, "Organic Video"),
                (12, "Paid Video"),
                (13, "Organic Shopping"),
                (14, "Paid Shopping"),
                (15, "SMS"),
                (16, "Audio"),
                (17, "Mobile Push Notifications"),
                (18, "Cross-network"),
                (19, "Unassigned"),
            ]
        );
        let kinds: Vec<_> = ClickKind::ALL
            .iter()
            .map(|k| (k.code(), k.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (1, "gclid"),
                (2, "gbraid"),
                (3, "wbraid"),
                (4, "dclid"),
                (5, "fbclid"),
                (6, "msclkid"),
                (7, "ttclid"),
                (8, "li_fat_id"),
                (9, "twclid"),
                (10, "epik"),
                (11, "rdt_cid"),
                (12, "ScCid"),
                (13, "yclid"),
            ]
        );
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(c));
            assert_eq!(Channel::parse(&c.as_str().to_uppercase()), Some(c));
        }
        for k in ClickKind::ALL {
            assert_eq!(ClickKind::from_code(k.code()), Some(k));
            assert_eq!(ClickKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            (
                Channel::from_code(0),
                Channel::from_code(20),
                ClickKind::from_code(14)
            ),
            (None, None, None)
        );
        assert_eq!(
            (Channel::parse(" cross-NETWORK "), Channel::parse("nope")),
            (Some(Channel::CrossNetwork), None)
        );
    }
}
