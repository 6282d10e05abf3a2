//! Where person data lives, in one registry: every table is classified, and
//! the tables that hold data about a visitor or lead are listed in
//! [`PersonTable`], which retention purges, data-subject export and erasure
//! all iterate. A test fails when a table exists that the registry doesn't
//! classify, so a new table can't be forgotten.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    record::SessionRecord,
    rows::from_json,
    sessions::SessionKey,
    tables::{CONSENTED, CONSENTS, CONVERSIONS, IDENTITIES, LEADS, SESSIONS},
};
use crate::domain::SiteId;

/// A table that holds data about a visitor or lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonTable {
    /// Visits and their events (`sessions_v1`), by visitor hash.
    Sessions,
    /// The consent log (`consents_v1`), by subject.
    Consents,
    /// Consent in force (`consented_v2`), by subject.
    Consented,
    /// Lead identifiers of consenting visitors (`identities_v1`), by subject.
    Identities,
    /// Leads (`leads_v1`), by lead id.
    Leads,
    /// Leads' conversions (`conversions_v1`), by lead id.
    Conversions,
    /// Order ids of leads' conversions (`order_ids_v1`), by conversion.
    OrderIds,
}

impl PersonTable {
    /// Every person-data table.
    pub const ALL: [Self; 7] = [
        Self::Sessions,
        Self::Consents,
        Self::Consented,
        Self::Identities,
        Self::Leads,
        Self::Conversions,
        Self::OrderIds,
    ];

    /// The redb table name.
    #[must_use]
    pub fn table_name(self) -> &'static str {
        match self {
            Self::Sessions => "sessions_v1",
            Self::Consents => "consents_v1",
            Self::Consented => "consented_v2",
            Self::Identities => "identities_v1",
            Self::Leads => "leads_v1",
            Self::Conversions => "conversions_v1",
            Self::OrderIds => "order_ids_v1",
        }
    }
}

/// How a table relates to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableClass {
    /// Data about a visitor or lead: exported, erased and purged.
    Person(PersonTable),
    /// Dashboard accounts (their own data, managed on the account pages).
    Account,
    /// Counts with no person in them (rollups, their bookkeeping).
    Aggregate,
    /// A copy of a person table's rows in another layout, for reports: it
    /// goes wherever its rows go (purge, erasure, site deletion), and
    /// exports read the rows themselves.
    Derived(PersonTable),
    /// Configuration and machinery (sites, keys, counters, salts, strings, audit).
    Operational,
}

/// Every table of the store and its class.
pub const REGISTRY: &[(&str, TableClass)] = &[
    ("sessions_v1", TableClass::Person(PersonTable::Sessions)),
    ("consents_v1", TableClass::Person(PersonTable::Consents)),
    ("consented_v2", TableClass::Person(PersonTable::Consented)),
    ("identities_v1", TableClass::Person(PersonTable::Identities)),
    ("leads_v1", TableClass::Person(PersonTable::Leads)),
    (
        "conversions_v1",
        TableClass::Person(PersonTable::Conversions),
    ),
    ("order_ids_v1", TableClass::Person(PersonTable::OrderIds)),
    ("users_v1", TableClass::Account),
    ("user_emails_v1", TableClass::Account),
    ("members_v1", TableClass::Account),
    ("logins_v1", TableClass::Account),
    ("passkeys_v1", TableClass::Account),
    ("invites_v1", TableClass::Account),
    ("rollups_v1", TableClass::Aggregate),
    ("rolled_days_v1", TableClass::Aggregate),
    ("day_versions_v1", TableClass::Aggregate),
    // Completed days' visits by column (store/segments.rs), visitor ids
    // included: dropped with their day's visits whenever those are purged
    // or erased (store/retention.rs, person_erase.rs, sites.rs). For a cold
    // day (store/cold.rs) they are its visits: exports and erasures read
    // them, purges delete them, erasures thaw the day back into rows.
    (
        "day_segments_v2",
        TableClass::Derived(PersonTable::Sessions),
    ),
    ("cold_days_v1", TableClass::Derived(PersonTable::Sessions)),
    // Open visits the writer parked out of memory (store/open_visits.rs):
    // a visitor hash and where their visit's row is, for at most 30 minutes
    // after its last event; forgotten with the visitor (erasure) or site.
    ("open_visits_v1", TableClass::Derived(PersonTable::Sessions)),
    (
        "open_visit_expiry_v1",
        TableClass::Derived(PersonTable::Sessions),
    ),
    // Daily aggregates imported from another tool (no visitor ids).
    ("imports_v1", TableClass::Aggregate),
    ("imported_v1", TableClass::Aggregate),
    // Ad spend per day and campaign (no people in it).
    ("spend_v1", TableClass::Aggregate),
    // Changes of leads and conversions not yet handed on to webhooks, and
    // the webhook outbox (bodies sealed): erased with the lead they name.
    ("changes_v1", TableClass::Operational),
    ("webhooks_v1", TableClass::Operational),
    ("webhook_messages_v1", TableClass::Operational),
    ("webhook_due_v1", TableClass::Operational),
    ("meta_v1", TableClass::Operational),
    ("sites_v1", TableClass::Operational),
    ("site_domains_v1", TableClass::Operational),
    ("api_keys_v1", TableClass::Operational),
    // Interned texts of paths, referrers, UTM and property values: redacted
    // at ingest (domain::text), swept after purges and erasures (strings.rs).
    ("strings_v1", TableClass::Operational),
    ("string_ids_v1", TableClass::Operational),
    ("salts_v1", TableClass::Operational),
    ("workspaces_v1", TableClass::Operational),
    ("audit_v1", TableClass::Operational),
    ("goals_v1", TableClass::Operational),
    ("funnels_v1", TableClass::Operational),
    ("requests_v1", TableClass::Operational),
    // Truncated hashes of Segment message ids, forgotten after a day.
    ("message_ids_v1", TableClass::Operational),
    // Report and alert recipients of each site: addresses an admin chose to
    // send reports to (sealed), not visitors; deleted on unsubscribe.
    ("mail_v1", TableClass::Operational),
    // Names of regions (places, not people), from the geolocation database.
    ("region_names_v1", TableClass::Operational),
];

/// Rows deleted (or that would be), per person-data table.
pub type RowCounts = BTreeMap<PersonTable, u64>;

/// Which rows belong to one person on one site.
#[derive(Debug, Clone, Default)]
pub struct PersonKeys {
    /// Visitor hashes of their visits (a consenting visitor's id is stable).
    pub visitors: Vec<u64>,
    /// Consent subjects (keyed hashes of a first-party id or visitor hash).
    pub subjects: Vec<[u8; 32]>,
    /// Their leads (keyed index of email or phone).
    pub leads: Vec<[u8; 32]>,
}

impl PersonKeys {
    pub(super) fn has_subject(&self, hex_subject: &str) -> bool {
        self.subjects.iter().any(|s| hex::encode(s) == hex_subject)
    }

    pub(super) fn has_lead(&self, hex_lead: &str) -> bool {
        self.leads.iter().any(|l| hex::encode(l) == hex_lead)
    }

    /// Whether a conversion is theirs: their lead's, or made in their visit.
    pub(super) fn owns(&self, c: &super::Conversion) -> bool {
        self.has_lead(&c.lead) || c.visitor.is_some_and(|v| self.visitors.contains(&v))
    }
}

/// Everything held about one person on one site.
#[derive(Debug, Clone, Default)]
pub struct PersonData {
    /// Their visits with events.
    pub sessions: Vec<(SessionKey, SessionRecord)>,
    /// Their consent records.
    pub consents: Vec<super::ConsentEntry>,
    /// The policy versions they accepted that are in force, by subject (hex).
    pub consented: Vec<(String, String)>,
    /// Their lead identifiers, by subject (hex).
    pub identities: Vec<(String, super::LeadIdentity)>,
    /// Their leads.
    pub leads: Vec<super::Lead>,
    /// Their conversions.
    pub conversions: Vec<super::Conversion>,
    /// Order ids of those conversions.
    pub order_ids: Vec<String>,
}

impl Store {
    /// Subjects whose lead identifiers include `email_index` or `phone_index`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn subjects_by_lead(
        &self,
        site: SiteId,
        email_index: Option<&str>,
        phone_index: Option<&str>,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(IDENTITIES)?;
        let mut out = Vec::new();
        for row in t.range((site.0, &[][..])..(site.0 + 1, &[][..]))? {
            let (k, v) = row?;
            let id: super::LeadIdentity = from_json(v.value(), "identity row")?;
            let hit = |mine: &Option<String>, asked: Option<&str>| {
                asked.is_some_and(|a| mine.as_deref() == Some(a))
            };
            if hit(&id.email, email_index) || hit(&id.phone, phone_index) {
                let subject = k.value().1;
                if let Ok(s) = <[u8; 32]>::try_from(subject) {
                    out.push(s);
                }
            }
        }
        Ok(out)
    }

    /// Everything held about `who` on `site` (a scan of the site's visits).
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn person_data(&self, site: SiteId, who: &PersonKeys) -> Result<PersonData, StoreError> {
        let tx = self.db.begin_read()?;
        let mut out = PersonData::default();
        for table in PersonTable::ALL {
            match table {
                PersonTable::Sessions if self.events.is_some() => {
                    if let Some(ch) = &self.events {
                        out.sessions = ch.visits_of(site, &who.visitors)?;
                    }
                }
                PersonTable::Sessions => {
                    let t = tx.open_table(SESSIONS)?;
                    let mut rec = SessionRecord::default();
                    for row in t.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))? {
                        let (k, v) = row?;
                        // The visitor is in the header: events are decoded
                        // for this person's visits only.
                        let bytes = v.value();
                        let rest = rec.decode_header(bytes)?;
                        if who.visitors.contains(&rec.visitor) {
                            rec.decode_events(rest, bytes.len())?;
                            let (_, start_ms, id) = k.value();
                            out.sessions
                                .push((SessionKey { site, start_ms, id }, rec.clone()));
                        }
                    }
                    // Cold days (see `store::cold`) holding one of theirs.
                    let segs = tx.open_table(super::tables::SEGMENTS)?;
                    let cold = super::cold::days_with_visitor(
                        (&tx.open_table(super::tables::COLD_DAYS)?, &segs),
                        site,
                        |v| who.visitors.contains(&v),
                    )?;
                    for c in cold {
                        super::cold::each_visit(&segs, site, c.day, |start_ms, id, r| {
                            if who.visitors.contains(&r.visitor) {
                                out.sessions
                                    .push((SessionKey { site, start_ms, id }, r.clone()));
                            }
                            std::ops::ControlFlow::Continue(())
                        })?;
                    }
                    out.sessions.sort_by_key(|(k, _)| *k);
                }
                PersonTable::Consents => {
                    let t = tx.open_table(CONSENTS)?;
                    for row in t.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))? {
                        let e: super::ConsentEntry = from_json(row?.1.value(), "consent row")?;
                        if who.has_subject(&e.subject) {
                            out.consents.push(e);
                        }
                    }
                }
                PersonTable::Consented => {
                    let t = tx.open_table(CONSENTED)?;
                    for s in &who.subjects {
                        if let Some(v) = t.get((site.0, s.as_slice()))? {
                            out.consented.push((hex::encode(s), v.value().to_owned()));
                        }
                    }
                }
                PersonTable::Identities => {
                    let t = tx.open_table(IDENTITIES)?;
                    for s in &who.subjects {
                        if let Some(v) = t.get((site.0, s.as_slice()))? {
                            out.identities
                                .push((hex::encode(s), from_json(v.value(), "identity row")?));
                        }
                    }
                }
                PersonTable::Leads => {
                    let t = tx.open_table(LEADS)?;
                    for l in &who.leads {
                        if let Some(v) = t.get((site.0, l.as_slice()))? {
                            out.leads.push(from_json(v.value(), "lead row")?);
                        }
                    }
                }
                PersonTable::Conversions => {
                    let t = tx.open_table(CONVERSIONS)?;
                    for row in t.range((site.0, 0, 0)..=(site.0, u64::MAX, u64::MAX))? {
                        let c: super::Conversion = from_json(row?.1.value(), "conversion row")?;
                        if who.owns(&c) {
                            out.conversions.push(c);
                        }
                    }
                }
                PersonTable::OrderIds => {
                    out.order_ids = out
                        .conversions
                        .iter()
                        .filter_map(|c| c.order_id.clone())
                        .collect();
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use redb::TableHandle;

    use super::*;

    #[test]
    fn every_table_is_classified_and_every_person_table_registered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tx = store.db.begin_read().unwrap();
        let names: Vec<String> = tx
            .list_tables()
            .unwrap()
            .map(|h| h.name().to_owned())
            .collect();
        assert!(names.len() > 10, "{names:?}");
        for n in &names {
            assert!(
                REGISTRY.iter().any(|(r, _)| r == n),
                "table {n} is not in the person-data registry (store/person.rs): classify it"
            );
        }
        for t in PersonTable::ALL {
            assert!(
                REGISTRY
                    .iter()
                    .any(|(n, c)| *n == t.table_name() && *c == TableClass::Person(t)),
                "{t:?}"
            );
            assert!(names.iter().any(|n| n == t.table_name()), "{t:?}");
        }
        // Nothing classified as person data is missing from PersonTable::ALL.
        for (n, c) in REGISTRY {
            if let TableClass::Person(t) = c {
                assert!(PersonTable::ALL.contains(t), "{n}");
            }
        }
    }
}
