//! Sites and their domains.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, next_id, to_json},
    tables::{META, NEXT_SITE_ID, ROLLED_DAYS, ROLLUPS, SITE_DOMAINS, SITES, WORKSPACES},
};
use crate::domain::{
    ConsentMode, Domain, FormCapture, MinCount, SiteId, Timezone, WorkspaceId,
    attribution::{DEFAULT_LOOKBACK_DAYS, DEFAULT_MODEL, Model},
    money::{Money, parse_code},
    scoring::Scoring,
};

/// A tracked site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Its id.
    pub id: SiteId,
    /// Its domain, as the tracker sends it.
    pub domain: Domain,
    /// Reports are bucketed in this zone.
    pub timezone: Timezone,
    /// Unix ms of creation.
    pub created_ms: u64,
    /// The workspace that owns it.
    #[serde(default)]
    pub workspace: WorkspaceId,
    /// Token of the public read-only link, when the owner turned it on.
    #[serde(default)]
    pub share_token: Option<String>,
    /// Hostnames allowed to send events (`*.example.com` allowed); empty = any.
    #[serde(default)]
    pub allowed_hostnames: Vec<String>,
    /// When the tracker may identify visitors.
    #[serde(default)]
    pub consent_mode: ConsentMode,
    /// Which forms lead fields are hashed from.
    #[serde(default)]
    pub forms: FormCapture,
    /// Treat Do Not Track like Global Privacy Control (a decline).
    #[serde(default)]
    pub respect_dnt: bool,
    /// Version of the privacy policy consent is asked for.
    #[serde(default = "default_policy")]
    pub policy_version: String,
    /// Months of visitor data kept, when less than the instance's
    /// `privacy.retention_months`.
    #[serde(default)]
    pub retention_months: Option<u32>,
    /// Keep the anonymous daily rollups of purged days (totals and
    /// breakdowns of whole days stay; filtered views of them don't).
    #[serde(default)]
    pub keep_aggregates: bool,
    /// When it was deleted (it is purged for good 14 days later).
    #[serde(default)]
    pub deleted_ms: Option<u64>,
    /// The Stripe webhook signing secret, sealed (hex).
    #[serde(default)]
    pub stripe_secret_sealed: Option<String>,
    /// Lead-scoring rules.
    #[serde(default)]
    pub scoring: Scoring,
    /// Attribution lookback window, days (`None`: 90).
    #[serde(default)]
    pub lookback_days: Option<u32>,
    /// The attribution model reports lead with (its API name, e.g.
    /// `last_non_direct`); `None`: [`DEFAULT_MODEL`].
    #[serde(default)]
    pub attribution_model: Option<String>,
    /// Currency revenue is reported in (ISO 4217); `None`: the currency most
    /// revenue events of a report were in.
    #[serde(default)]
    pub reporting_currency: Option<String>,
    /// Units of the reporting currency per unit of another currency, as the
    /// site's admins gave them (no rates are fetched).
    #[serde(default)]
    pub exchange_rates: std::collections::BTreeMap<String, f64>,
    /// The write key Segment-format sources send with (`None` until one is
    /// made, at the next reload of sites).
    #[serde(default)]
    pub segment_write_key: Option<String>,
    /// Counts below this read "fewer than k" on shared links, in email
    /// reports and for viewers (0: off).
    #[serde(default)]
    pub min_count: MinCount,
}

impl Site {
    /// How the site's revenue is shown: its reporting currency and rates.
    #[must_use]
    pub fn money(&self) -> Money {
        Money {
            currency: self.reporting_currency.as_deref().and_then(parse_code),
            rates: self
                .exchange_rates
                .iter()
                .filter_map(|(c, r)| Some((parse_code(c)?, *r)))
                .collect(),
        }
    }

    /// The attribution lookback window, days.
    #[must_use]
    pub fn lookback_days(&self) -> u64 {
        self.lookback_days.map_or(DEFAULT_LOOKBACK_DAYS, u64::from)
    }

    /// The attribution model reports lead with.
    #[must_use]
    pub fn attribution_model(&self) -> Model {
        self.attribution_model
            .as_deref()
            .and_then(Model::parse)
            .unwrap_or(DEFAULT_MODEL)
    }
}

fn default_policy() -> String {
    "1".into()
}

impl Site {
    /// Whether events from page host `host` are accepted: any host when the
    /// allowlist is empty; else an exact entry, or `*.example.com` for
    /// example.com and its subdomains. A `www.` prefix is ignored.
    #[must_use]
    pub fn allows_host(&self, host: &str) -> bool {
        if self.allowed_hostnames.is_empty() {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        self.allowed_hostnames
            .iter()
            .any(|a| match a.strip_prefix("*.") {
                Some(base) => host == base || host.ends_with(&format!(".{base}")),
                None => host == a,
            })
    }
}

impl Store {
    /// Adds a site.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the domain is already a site.
    pub fn add_site(
        &self,
        workspace: WorkspaceId,
        domain: &Domain,
        timezone: Timezone,
        now_ms: u64,
    ) -> Result<Site, StoreError> {
        let tx = self.db.begin_write()?;
        let site = {
            let mut domains = tx.open_table(SITE_DOMAINS)?;
            if domains.get(domain.as_str())?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "a site with domain {domain} already exists"
                )));
            }
            if tx.open_table(WORKSPACES)?.get(workspace.0)?.is_none() {
                return Err(StoreError::Conflict(format!("no workspace {workspace}")));
            }
            let id = next_id(&mut tx.open_table(META)?, NEXT_SITE_ID)?;
            let site = Site {
                id: SiteId(id),
                domain: domain.clone(),
                timezone,
                created_ms: now_ms,
                workspace,
                share_token: None,
                allowed_hostnames: Vec::new(),
                consent_mode: ConsentMode::default(),
                forms: FormCapture::default(),
                respect_dnt: false,
                policy_version: default_policy(),
                retention_months: None,
                keep_aggregates: false,
                deleted_ms: None,
                stripe_secret_sealed: None,
                scoring: Scoring::default(),
                lookback_days: None,
                attribution_model: None,
                reporting_currency: None,
                exchange_rates: std::collections::BTreeMap::new(),
                segment_write_key: None,
                min_count: MinCount::OFF,
            };
            tx.open_table(SITES)?
                .insert(id, to_json(&site)?.as_slice())?;
            domains.insert(domain.as_str(), id)?;
            site
        };
        tx.commit()?;
        Ok(site)
    }

    /// Rewrites a site's settings (its domain and id never change).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the site is gone.
    pub fn update_site(&self, site: &Site) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut sites = tx.open_table(SITES)?;
            let old: Site = match sites.get(site.id.0)? {
                Some(v) => decode_site(v.value())?,
                None => return Err(StoreError::Conflict(format!("no site {}", site.id))),
            };
            if old.domain != site.domain || old.workspace != site.workspace {
                return Err(StoreError::Conflict(
                    "a site's domain and workspace can't change".into(),
                ));
            }
            sites.insert(site.id.0, to_json(site)?.as_slice())?;
            // Rollups are bucketed by local day and hour: a new zone voids them
            // (the rollup job rebuilds them; until then reports scan).
            if old.timezone != site.timezone {
                drop_rollups(&tx, site.id)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every site, by id.
    ///
    /// # Errors
    /// Storage errors or a corrupt row.
    pub fn sites(&self) -> Result<Vec<Site>, StoreError> {
        self.read()?.sites()
    }
}

/// Deletes a site's rollups and their day marks; its cold days (see
/// `store::cold`) are thawed first, their visits back in rows.
pub(super) fn drop_rollups(tx: &redb::WriteTransaction, site: SiteId) -> Result<(), StoreError> {
    let s = site.0;
    super::cold::thaw_days(tx, site, 0..u32::MAX)?;
    // A rollup built under the old zone must not be stored after this.
    let mut versions = tx.open_table(super::tables::DAY_VERSIONS)?;
    let days: Vec<(u32, u64)> = versions
        .range((s, 0)..=(s, u32::MAX))?
        .map(|r| r.map(|(k, v)| (k.value().1, v.value())))
        .collect::<Result<_, _>>()?;
    for (d, v) in days {
        versions.insert((s, d), v + 1)?;
    }
    drop(versions);
    tx.open_table(ROLLUPS)?
        .retain_in((s, 0, 0, 0)..=(s, u32::MAX, u8::MAX, u32::MAX), |_, _| {
            false
        })?;
    tx.open_table(ROLLED_DAYS)?
        .retain_in((s, 0)..=(s, u32::MAX), |_, _| false)?;
    super::segments::drop_range(tx, site, 0, u32::MAX)?;
    Ok(())
}

/// Decodes a site row.
pub(super) fn decode_site(bytes: &[u8]) -> Result<Site, StoreError> {
    from_json(bytes, "site row")
}

/// All sites in a table.
pub(super) fn all_sites(
    table: &impl ReadableTable<u32, &'static [u8]>,
) -> Result<Vec<Site>, StoreError> {
    super::rows::all_rows(table, "site row")
}
