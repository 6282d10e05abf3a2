//! maud templates. Pages take view-model structs; components are functions.
//! Every value from visitors (paths, referrers, UTM values, event names) is
//! rendered through maud's escaping: nothing here uses `PreEscaped` on them.

pub mod account;
pub mod attribution;
pub mod attribution_docs;
pub mod attribution_setup;
pub mod attribution_spend;
pub mod auth;
pub mod charts;
pub mod layout;
pub mod leads;
pub mod local_time;
pub mod mail_card;
pub mod passkeys;
pub mod webhooks;

pub use crate::domain::calendar::fmt_utc as fmt_time;
pub mod components;
pub mod controls;
pub mod conversions;
pub mod date_field;
pub mod funnels;
pub mod optout;
pub mod overview;
pub mod period;
pub mod privacy;
pub mod site;
pub mod site_nav;
pub mod site_settings;
pub mod timezone;
pub mod words;
pub mod workspace;
