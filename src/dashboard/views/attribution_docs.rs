//! `/docs/attribution`, public: what each attribution model does, exactly,
//! and how a visit gets its channel (why a `utm_source` without a
//! `utm_medium` is Unassigned).

use maud::{Markup, html};

use super::{
    attribution::UNASSIGNED,
    layout::{Chrome, page},
};
use crate::attribution::report::NO_VISIT;

/// `/docs/attribution`: what each model does, exactly.
#[must_use]
pub fn docs() -> Markup {
    page(
        &Chrome {
            title: "How attribution credits",
            user: None,
        },
        &html! {
            section.card {
                h1 { "How attribution credits conversions" }
                p { "A conversion's " strong { "journey" } " is the visits of its lead — the visits of every first-party id linked to the lead — that started within the lookback window (90 days by default) before it, oldest first. Each visit is a touchpoint, keyed by its channel, source, campaign or other acquisition value. Every model below credits each conversion and its revenue in full: the credits of all rows add up to the conversions and the revenue." }
                p { "Shared rules: a conversion with no visit in its window is no channel's: every model shows it as " (NO_VISIT) ". A value that appears in several visits counts once per visit in the position models (first, last, linear, time decay, position-based) and once per journey in Shapley." }
                dl {
                    dt { "First touch" } dd { "Everything to the first touchpoint." }
                    dt { "Last touch" } dd { "Everything to the last touchpoint." }
                    dt { "Last non-direct" } dd { "Everything to the last touchpoint that isn't Direct; a journey of Direct visits only is credited to Direct." }
                    dt { "Linear" } dd { "Equal shares to every touchpoint." }
                    dt { "Time decay" } dd { "A touchpoint Δt before the conversion weighs 2^(−Δt / 7 days), so a visit a week earlier counts half as much; weights are scaled to add up to 1. A touchpoint at (or after) the conversion weighs 1." }
                    dt { "Position-based" } dd { "40% to the first touchpoint, 40% to the last, the remaining 20% shared equally by those between. One touchpoint gets 100%, two get 50% each." }
                    dt { "Markov chain" } dd { "Journeys — including the paths of visitors who did not convert — are read as a first-order Markov chain from start through the touchpoints to conversion or no conversion, with transition probabilities as observed. A value's removal effect is the share of conversion probability lost when its visits lead nowhere; it is computed exactly by solving the chain (no simulation). Conversions and revenue are shared in proportion to the removal effects." }
                    dt { "Shapley value" } dd { "The game's worth of a set of values S is the conversions (or revenue) of journeys all of whose touchpoints lie in S. Its exact Shapley value gives each journey's conversion and revenue in equal parts to the distinct values in it (the game is a sum of unanimity games), so no coalition has to be enumerated." }
                }
            }
            section.card id="channels" {
                h2 { "How visits get a channel" }
                p { "A visit's channel (Paid Search, Email, Organic Social…) comes from the campaign tags of the link it arrived by — " code { "utm_medium" } " first, with " code { "utm_source" } " and " code { "utm_campaign" } ", or an ad click id such as " code { "gclid" } " — or, untagged, from the site that referred it, following Google Analytics' default channel groups. A visit with neither tags nor a referrer is Direct." }
                p { "A link tagged with " code { "utm_source" } " but no " code { "utm_medium" } ", such as " code { "?utm_source=newsletter" } ", names its source but no channel (unless the source is one Touchpoint knows, such as a search engine or a social network): the visit is " strong { (UNASSIGNED) } ", and so are mediums no rule knows. Add " code { "utm_medium" } " to campaign links so they get a channel:" }
                ul {
                    li { code { "utm_medium=email" } " → Email" }
                    li { code { "utm_medium=cpc" } " (or " code { "ppc" } ", " code { "paid" } ") with a search engine as the source → Paid Search; with a social network → Paid Social" }
                    li { code { "utm_medium=social" } " → Organic Social" }
                    li { code { "utm_medium=referral" } " → Referral, " code { "affiliate" } " → Affiliates, " code { "display" } " or " code { "banner" } " → Display" }
                }
                p.muted { "Visits keep the channel they were given when they arrived: fixing the links changes the visits to come." }
            }
        },
    )
}
