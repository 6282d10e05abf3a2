//! The one navigation of a site's pages: the site's heading and a named
//! `<nav aria-label="Site">` with the tabs the member's role may open, the
//! current one marked `aria-current="page"`. Every site page and a site's
//! error pages render it; page titles name the page and the site.

use maud::{Markup, html};

use crate::{domain::Role, store::Site};

/// A page of a site, as its navigation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitePage {
    /// `/sites/{domain}`: KPIs, chart, ranked lists.
    Overview,
    /// `/sites/{domain}/realtime`.
    Realtime,
    /// `/sites/{domain}/goals`.
    Goals,
    /// `/sites/{domain}/funnels`.
    Funnels,
    /// `/sites/{domain}/attribution`.
    Attribution,
    /// `/sites/{domain}/leads` (analysts and above: personal data).
    Leads,
    /// `/sites/{domain}/privacy` (admins and above).
    Privacy,
    /// `/sites/{domain}/settings` (admins and above).
    Settings,
}

impl SitePage {
    /// Every page, in the navigation's order.
    pub const ALL: [Self; 8] = [
        Self::Overview,
        Self::Realtime,
        Self::Goals,
        Self::Funnels,
        Self::Attribution,
        Self::Leads,
        Self::Privacy,
        Self::Settings,
    ];

    /// The tab's text (also the page's name in `<title>`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Realtime => "Realtime",
            Self::Goals => "Goals",
            Self::Funnels => "Funnels",
            Self::Attribution => "Attribution",
            Self::Leads => "Leads",
            Self::Privacy => "Privacy",
            Self::Settings => "Settings",
        }
    }

    /// The page's path after `/sites/{domain}` (empty for the overview).
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Self::Overview => "",
            Self::Realtime => "/realtime",
            Self::Goals => "/goals",
            Self::Funnels => "/funnels",
            Self::Attribution => "/attribution",
            Self::Leads => "/leads",
            Self::Privacy => "/privacy",
            Self::Settings => "/settings",
        }
    }

    /// Whether `role` may open the page: leads show personal data (analysts
    /// and above), privacy and settings change things (admins and above),
    /// the rest are aggregate reports every member may read.
    #[must_use]
    pub fn allows(self, role: Role) -> bool {
        match self {
            Self::Leads => role.can_see_pii(),
            Self::Privacy | Self::Settings => role.can_manage(),
            _ => true,
        }
    }

    /// The page's address on `site`.
    #[must_use]
    pub fn href(self, site: &Site) -> String {
        format!("/sites/{}{}", site.domain, self.path())
    }
}

/// A site page's `<title>` text before " · Touchpoint":
/// `Attribution · example.com`.
#[must_use]
pub fn site_title(site: &Site, page: &str) -> String {
    format!("{page} · {}", site.domain)
}

/// The site's heading and navigation: the tabs `role` may open, `active`
/// (none on error pages) marked as the current page.
#[must_use]
pub fn site_nav(site: &Site, role: Role, active: Option<SitePage>) -> Markup {
    html! {
        div.site-head {
            h1 { (site.domain) }
            nav.tabs.site-nav aria-label="Site" {
                @for p in SitePage::ALL.into_iter().filter(|p| p.allows(role)) {
                    @if Some(p) == active {
                        a.active href=(p.href(site)) aria-current="page" { (p.label()) }
                    } @else {
                        a href=(p.href(site)) { (p.label()) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_opens_the_pages_of_the_roles_below_it_and_its_own() {
        let open = |r: Role| -> Vec<&str> {
            SitePage::ALL
                .into_iter()
                .filter(|p| p.allows(r))
                .map(SitePage::label)
                .collect()
        };
        let reports = ["Overview", "Realtime", "Goals", "Funnels", "Attribution"];
        assert_eq!(open(Role::Viewer), reports);
        assert_eq!(open(Role::Analyst), [&reports[..], &["Leads"]].concat());
        let all: Vec<&str> = SitePage::ALL.into_iter().map(SitePage::label).collect();
        assert_eq!(open(Role::Admin), all);
        assert_eq!(open(Role::Owner), all);
    }
}
