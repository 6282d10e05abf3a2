//! Table definitions. Names carry a version; a format change means a new name
//! and a migration step in `Store::migrate`.

use redb::{TableDefinition, WriteTransaction};

use super::StoreError;

/// Settings-like values and counters, keyed by name.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta_v1");
/// Site id → JSON site row (rarely written, small).
pub const SITES: TableDefinition<u32, &[u8]> = TableDefinition::new("sites_v1");
/// Domain → site id.
pub const SITE_DOMAINS: TableDefinition<&str, u32> = TableDefinition::new("site_domains_v1");
/// SHA-256 of an API key (hex) → JSON key row. The key itself is never stored.
pub const API_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_keys_v1");
/// Interned string id → text.
pub const STRINGS: TableDefinition<u32, &str> = TableDefinition::new("strings_v1");
/// Text → interned string id.
pub const STRING_IDS: TableDefinition<&str, u32> = TableDefinition::new("string_ids_v1");
/// (site, visit start ms, visit id) → encoded `SessionRecord`. The key orders
/// visits by site then time, so a date range is one range scan.
pub const SESSIONS: TableDefinition<(u32, u64, u64), &[u8]> = TableDefinition::new("sessions_v1");
/// (site, local day number, dimension code, value) → encoded `RollupSums`.
pub const ROLLUPS: TableDefinition<(u32, u32, u8, u32), &[u8]> = TableDefinition::new("rollups_v1");
/// (site, local day number) → unix ms when that day was rolled up.
pub const ROLLED_DAYS: TableDefinition<(u32, u32), u64> = TableDefinition::new("rolled_days_v1");
/// (site, local day number, column code, chunk) → one piece of a column of
/// the day's segment (see `store::columns`; the pieces in order make the
/// column, see `store::segments`), valid while the day is in `ROLLED_DAYS`.
pub const SEGMENTS: TableDefinition<(u32, u32, u8, u32), &[u8]> =
    TableDefinition::new("day_segments_v2");
/// (site, local day number) → a cold day's mark (`store::cold`): the day's
/// visits are kept in its segment only, their rows deleted.
pub const COLD_DAYS: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("cold_days_v1");
/// Schema 3's segments, one value per column; moved into [`SEGMENTS`] by the
/// migration to schema 4.
pub const SEGMENTS_V1: TableDefinition<(u32, u32, u8), &[u8]> =
    TableDefinition::new("day_segments_v1");
/// (site, local day number) → count of writer batches that changed that day's
/// visits. A rollup is stored only if the count is unchanged since it was read.
pub const DAY_VERSIONS: TableDefinition<(u32, u32), u64> = TableDefinition::new("day_versions_v1");
/// UTC day number → 32-byte visitor-hash salt. Deleted once the day's visits are over.
pub const SALTS: TableDefinition<u32, &[u8]> = TableDefinition::new("salts_v1");

/// User id → JSON `UserRecord` (email sealed, password as an argon2id PHC string).
pub const USERS: TableDefinition<u32, &[u8]> = TableDefinition::new("users_v1");
/// Blind index of a user's email → user id, for login lookups.
pub const USER_EMAILS: TableDefinition<&[u8], u32> = TableDefinition::new("user_emails_v1");
/// Workspace id → JSON `Workspace`.
pub const WORKSPACES: TableDefinition<u32, &[u8]> = TableDefinition::new("workspaces_v1");
/// (workspace, user) → role code. Small: scanned whole for a user's workspaces.
pub const MEMBERS: TableDefinition<(u32, u32), u8> = TableDefinition::new("members_v1");
/// SHA-256 of a login-session token → JSON `LoginSession`.
pub const LOGINS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("logins_v1");
/// SHA-256 (hex) of an invitation token → JSON `Invite`.
pub const INVITES: TableDefinition<&str, &[u8]> = TableDefinition::new("invites_v1");
/// (workspace, unix ms, sequence) → JSON `AuditEntry`; workspace 0 holds
/// instance-level entries (failed logins for unknown accounts).
pub const AUDIT: TableDefinition<(u32, u64, u64), &[u8]> = TableDefinition::new("audit_v1");
/// (site, goal id) → JSON `Goal`.
pub const GOALS: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("goals_v1");
/// (site, funnel id) → JSON `SavedFunnel`: a named funnel's steps.
pub const FUNNELS: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("funnels_v1");

/// (site, unix ms, sequence) → JSON `ConsentEntry`: every decision, kept as proof.
pub const CONSENTS: TableDefinition<(u32, u64, u64), &[u8]> = TableDefinition::new("consents_v1");
/// (site, subject) → the policy version of the accept in force; a decline
/// removes the row. The subject is a keyed hash of the visitor's first-party id.
pub const CONSENTED: TableDefinition<(u32, &[u8]), &str> = TableDefinition::new("consented_v2");
/// (site, import id) → JSON `ImportRecord`.
pub const IMPORTS: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("imports_v1");
/// (site, import id, imported table code, local day, sequence) → JSON
/// `ImportedRow`: imported daily aggregates.
pub const IMPORTED: TableDefinition<(u32, u32, u8, u32, u32), &[u8]> =
    TableDefinition::new("imported_v1");
/// (site, local day, utm_source, utm_medium, utm_campaign) → JSON
/// `SpendAmount`: ad spend (`domain::spend`).
pub const SPEND: TableDefinition<(u32, u32, &str, &str, &str), &[u8]> =
    TableDefinition::new("spend_v1");
/// Sequence → JSON `Change`: leads' and conversions' changes not yet
/// handed on (see `changes.rs`).
pub const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes_v1");
/// (site, endpoint id) → JSON `Endpoint`: webhook endpoints.
pub const WEBHOOKS: TableDefinition<(u32, u32), &[u8]> = TableDefinition::new("webhooks_v1");
/// (site, endpoint id, sequence) → JSON `WebhookMessage`: the outbox and
/// delivery log.
pub const WEBHOOK_MESSAGES: TableDefinition<(u32, u32, u64), &[u8]> =
    TableDefinition::new("webhook_messages_v1");
/// (due unix ms, site, endpoint id, sequence) → (): pending messages by
/// when their next attempt is due.
pub const WEBHOOK_DUE: TableDefinition<(u64, u32, u32, u64), ()> =
    TableDefinition::new("webhook_due_v1");
/// Region code (ISO 3166-2, as the geolocation database gives it) → its
/// English name from the same database: `visit:region_name`'s dictionary.
pub const REGION_NAMES: TableDefinition<&str, &str> = TableDefinition::new("region_names_v1");
/// (site, first 16 bytes of SHA-256 of a Segment `messageId`) → unix ms it
/// was stored: the messages of the last day, for de-duplication.
pub const MESSAGE_IDS: TableDefinition<(u32, &[u8]), u64> = TableDefinition::new("message_ids_v1");
/// (site, subject) → JSON `LeadIdentity`: keyed indexes of a consenting
/// visitor's email and phone digests.
pub const IDENTITIES: TableDefinition<(u32, &[u8]), &[u8]> = TableDefinition::new("identities_v1");

/// (workspace, request id) → JSON `SubjectRequest`: the data-subject request
/// log (kinds, times and counts; never the person's identifiers).
pub const REQUESTS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("requests_v1");

/// (site, lead id) → JSON `Lead`: a known person (id = keyed index of their
/// email or phone) and the consent subjects linked to them.
pub const LEADS: TableDefinition<(u32, &[u8]), &[u8]> = TableDefinition::new("leads_v1");
/// (site, unix ms, sequence) → JSON `Conversion`.
pub const CONVERSIONS: TableDefinition<(u32, u64, u64), &[u8]> =
    TableDefinition::new("conversions_v1");
/// (site, order id) → the conversion's (unix ms, sequence): repeated orders
/// are recorded once.
pub const ORDER_IDS: TableDefinition<(u32, &str), (u64, u64)> =
    TableDefinition::new("order_ids_v1");

/// Site id → JSON `SiteMail`: report recipients (addresses sealed), alert
/// thresholds and what was last sent.
pub const MAIL: TableDefinition<u32, &[u8]> = TableDefinition::new("mail_v1");

/// (user, SHA-256 of a WebAuthn credential id) → JSON `PasskeyRecord`: an
/// account's passkeys (name and credential sealed).
pub const PASSKEYS: TableDefinition<(u32, &[u8]), &[u8]> = TableDefinition::new("passkeys_v1");

/// Open visits the writer parked out of memory (store/open_visits.rs):
/// (site, visitor hash) → the visit's row key, day, last event, event count.
pub const OPEN_VISITS: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("open_visits_v1");
/// When parked visits go idle: (last event ms, site, visitor hash) → ().
pub const OPEN_VISIT_EXPIRY: TableDefinition<(u64, u32, u64), ()> =
    TableDefinition::new("open_visit_expiry_v1");

/// Key of the schema version in `META`.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";
/// Next site id.
pub const NEXT_SITE_ID: &str = "next_site_id";
/// Next visit id.
pub const NEXT_SESSION_ID: &str = "next_session_id";
/// Next user id.
pub const NEXT_USER_ID: &str = "next_user_id";
/// Next workspace id.
pub const NEXT_WORKSPACE_ID: &str = "next_workspace_id";
/// Next audit sequence number.
pub const NEXT_AUDIT_SEQ: &str = "next_audit_seq";
/// Next consent-log sequence number.
pub const NEXT_CONSENT_SEQ: &str = "next_consent_seq";
/// Next goal id.
pub const NEXT_GOAL_ID: &str = "next_goal_id";
/// Next saved-funnel id.
pub const NEXT_FUNNEL_ID: &str = "next_funnel_id";
/// Next data-subject request id.
pub const NEXT_REQUEST_ID: &str = "next_request_id";
/// Next conversion sequence number.
pub const NEXT_CONVERSION_SEQ: &str = "next_conversion_seq";
/// Next interned string id.
pub const NEXT_STRING_ID: &str = "next_string_id";

/// Calls `$f(args…, TABLE)?` for every table of the store: the one list
/// that creating tables and copying them (backups) go through, so a new
/// table can't be left out of either.
macro_rules! each_table {
    ($f:ident $(, $arg:expr)*) => {{
        $f($($arg,)* $crate::store::tables::META)?;
        $f($($arg,)* $crate::store::tables::SITES)?;
        $f($($arg,)* $crate::store::tables::SITE_DOMAINS)?;
        $f($($arg,)* $crate::store::tables::API_KEYS)?;
        $f($($arg,)* $crate::store::tables::STRINGS)?;
        $f($($arg,)* $crate::store::tables::STRING_IDS)?;
        $f($($arg,)* $crate::store::tables::SESSIONS)?;
        $f($($arg,)* $crate::store::tables::ROLLUPS)?;
        $f($($arg,)* $crate::store::tables::ROLLED_DAYS)?;
        $f($($arg,)* $crate::store::tables::SEGMENTS)?;
        $f($($arg,)* $crate::store::tables::COLD_DAYS)?;
        $f($($arg,)* $crate::store::tables::SALTS)?;
        $f($($arg,)* $crate::store::tables::DAY_VERSIONS)?;
        $f($($arg,)* $crate::store::tables::USERS)?;
        $f($($arg,)* $crate::store::tables::USER_EMAILS)?;
        $f($($arg,)* $crate::store::tables::WORKSPACES)?;
        $f($($arg,)* $crate::store::tables::MEMBERS)?;
        $f($($arg,)* $crate::store::tables::LOGINS)?;
        $f($($arg,)* $crate::store::tables::PASSKEYS)?;
        $f($($arg,)* $crate::store::tables::INVITES)?;
        $f($($arg,)* $crate::store::tables::AUDIT)?;
        $f($($arg,)* $crate::store::tables::GOALS)?;
        $f($($arg,)* $crate::store::tables::FUNNELS)?;
        $f($($arg,)* $crate::store::tables::CONSENTS)?;
        $f($($arg,)* $crate::store::tables::CONSENTED)?;
        $f($($arg,)* $crate::store::tables::IDENTITIES)?;
        $f($($arg,)* $crate::store::tables::REQUESTS)?;
        $f($($arg,)* $crate::store::tables::LEADS)?;
        $f($($arg,)* $crate::store::tables::CONVERSIONS)?;
        $f($($arg,)* $crate::store::tables::ORDER_IDS)?;
        $f($($arg,)* $crate::store::tables::MESSAGE_IDS)?;
        $f($($arg,)* $crate::store::tables::REGION_NAMES)?;
        $f($($arg,)* $crate::store::tables::IMPORTS)?;
        $f($($arg,)* $crate::store::tables::IMPORTED)?;
        $f($($arg,)* $crate::store::tables::SPEND)?;
        $f($($arg,)* $crate::store::tables::CHANGES)?;
        $f($($arg,)* $crate::store::tables::WEBHOOKS)?;
        $f($($arg,)* $crate::store::tables::WEBHOOK_MESSAGES)?;
        $f($($arg,)* $crate::store::tables::WEBHOOK_DUE)?;
        $f($($arg,)* $crate::store::tables::MAIL)?;
        $f($($arg,)* $crate::store::tables::OPEN_VISITS)?;
        $f($($arg,)* $crate::store::tables::OPEN_VISIT_EXPIRY)?;
    }};
}
pub(super) use each_table;

/// Creates every missing table so readers never meet one (idempotent).
pub fn create_all(tx: &WriteTransaction) -> Result<(), StoreError> {
    fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
        tx: &WriteTransaction,
        t: TableDefinition<K, V>,
    ) -> Result<(), StoreError> {
        tx.open_table(t)?;
        Ok(())
    }
    each_table!(open, tx);
    Ok(())
}
