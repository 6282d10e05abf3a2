//! maud templates. Pages take view-model structs; components are functions.
//! Every value from visitors (paths, referrers, UTM values, event names) is
//! rendered through maud's escaping: nothing here uses `PreEscaped` on them.

pub mod auth;
pub mod charts;
pub mod layout;
