//! The public opt-out page.

use maud::{Markup, html};

use super::layout::{Chrome, csrf_field, page};
use crate::store::Site;

/// What the page says about this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No opt-out recorded for this browser yet.
    Open {
        /// The browser sends Global Privacy Control.
        gpc: bool,
    },
    /// Just recorded.
    Done,
    /// Recorded earlier.
    OptedOut,
}

/// `/optout/{domain}`
#[must_use]
pub fn optout(site: &Site, csrf: &str, status: Status) -> Markup {
    page(
        &Chrome {
            title: "Do Not Sell or Share My Personal Information",
            user: None,
        },
        &html! {
            section.card.narrow {
                h1 { "Do Not Sell or Share My Personal Information" }
                p { (site.domain) " measures its audience with Touchpoint, which runs on the site's own server and never sells or shares what it collects. Visits are counted without cookies unless you accept them; no IP address is stored." }
                p { "Opting out is recorded in the site's consent log. From then on, no identifier (a first-party id, or the hashed email or phone of a form you send) is kept for this browser, and any kept under its id are withdrawn. Visits are still counted anonymously, as for everyone." }
                @match status {
                    Status::Open { gpc } => {
                        @if gpc {
                            p.notice role="status" { "Your browser sends the Global Privacy Control signal, which this site's analytics already treat as an opt-out. You can also record it here." }
                        }
                        form method="post" {
                            (csrf_field(csrf))
                            button type="submit" { "Opt out" }
                        }
                    }
                    Status::Done => p.notice role="status" { "Done: this browser is opted out." },
                    Status::OptedOut => p.notice role="status" { "This browser is opted out." },
                }
            }
        },
    )
}
