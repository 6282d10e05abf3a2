//! The attribution page with nothing to credit: what the site has to set up
//! for the chosen conversions to arrive, with links to where (settings for
//! admins; others are told to ask one).

use maud::{Markup, html};

use crate::{
    domain::{ConsentMode, Role},
    store::Site,
};

/// A link to a settings card for admins; the card's name for others.
fn to_settings(site: &Site, role: Role, card: &str, words: &str) -> Markup {
    html! {
        @if role.can_manage() {
            a href={ "/sites/" (site.domain) "/settings#" (card) } { (words) }
        } @else {
            (words) " (an admin of this site can set it up)"
        }
    }
}

/// The empty state: no conversions of `kind` (`purchase`, `lead`, `` for
/// any, `goal:NAME`) in the period.
#[must_use]
pub fn empty_state(site: &Site, role: Role, kind: &str, goals: &[String], period: &str) -> Markup {
    let what = match kind {
        "purchase" => "purchases".to_owned(),
        "lead" => "new leads".to_owned(),
        "" => "conversions".to_owned(),
        goal => format!("completions of {}", goal.trim_start_matches("goal:")),
    };
    let cookieless = site.consent_mode == ConsentMode::Cookieless;
    let goals_page = format!("/sites/{}/goals", site.domain);
    html! {
        section.card id="attribution-empty" {
            h2 { "No " (what) " in this period (" (period) ")" }
            p { "Attribution credits conversions to the visits before them. Here is what brings conversions in:" }
            ul {
                @if kind.is_empty() || kind == "purchase" {
                    li id="setup-purchases" { strong { "Purchases" } ": call "
                        code { "tp('purchase', {value: 9.99, currency: 'EUR', order_id: 'A-1'})" }
                        " on your order confirmation page, send them from your shop or CRM to the conversions API ("
                        code { "POST /api/v1/conversions" } " with a key that may record conversions), or connect "
                        (to_settings(site, role, "stripe", "Stripe")) "." }
                }
                @if kind.is_empty() || kind == "lead" {
                    li id="setup-leads" { strong { "Leads" } ": a visitor becomes a lead when a form marked "
                        code { "data-tp-form" } " is sent or your page calls " code { "tp('identify', {email})" }
                        " — only after they accepted, so the site needs a consent mode that asks ("
                        (to_settings(site, role, "general", "consent mode and forms")) "); the conversions API and Stripe make leads too." }
                }
                @if kind.starts_with("goal:") || kind.is_empty() || goals.is_empty() {
                    li id="setup-goals" { strong { "Goals" } ": "
                        @if goals.is_empty() {
                            "a signup event or a thank-you page can be a goal — " a href=(goals_page) { "add one" } ", then choose it as the conversion above."
                        } @else {
                            "choose one of the site's goals as the conversion above, or check on the " a href=(goals_page) { "goals page" } " that it is being completed."
                        }
                    }
                }
                @if cookieless {
                    li id="setup-consent" { strong { "Consent mode" } ": this site is cookieless, so no visitor can be identified and each journey is one day's visits. To follow people across visits and identify leads, choose "
                        code { "require" } " or " code { "cookieless-until-consent" } " in " (to_settings(site, role, "general", "settings")) " and put the new snippet on your pages." }
                }
            }
        }
    }
}
