//! The settings `touchpoint site set` takes, one flag per setting.

/// Settings `site set` changes, by the names of the settings API
/// (`crate::sites::FIELDS`); values as text (lists comma-separated, booleans
/// true/false, `none` clears the currency or the Stripe secret, scoring as JSON).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SiteSettings {
    /// IANA time zone, e.g. Europe/Berlin.
    #[arg(long)]
    pub timezone: Option<String>,
    /// Hostnames allowed to send events, comma-separated (`*.` allowed); empty: any.
    #[arg(long)]
    pub allowed_hostnames: Option<String>,
    /// cookieless, require or cookieless-until-consent.
    #[arg(long)]
    pub consent_mode: Option<String>,
    /// Which forms lead fields are hashed from: off, marked or all.
    #[arg(long)]
    pub forms: Option<String>,
    /// Treat Do Not Track as a decline: true or false.
    #[arg(long)]
    pub respect_dnt: Option<String>,
    /// The privacy policy version consent is asked for.
    #[arg(long)]
    pub policy_version: Option<String>,
    /// Months of visitor data kept.
    #[arg(long)]
    pub retention_months: Option<String>,
    /// Keep anonymous daily totals of purged days: true or false.
    #[arg(long)]
    pub keep_aggregates: Option<String>,
    /// Attribution lookback window, days.
    #[arg(long)]
    pub lookback_days: Option<String>,
    /// The attribution model reports lead with, e.g. last_non_direct.
    #[arg(long)]
    pub attribution_model: Option<String>,
    /// Reporting currency (ISO 4217), or none for automatic.
    #[arg(long)]
    pub reporting_currency: Option<String>,
    /// Stripe's webhook signing secret (whsec_…), or none.
    #[arg(long)]
    pub stripe_secret: Option<String>,
    /// Lead-scoring rules as JSON.
    #[arg(long)]
    pub scoring: Option<String>,
    /// Counts below this read "fewer than N" on shared links, in email
    /// reports and for viewers: a whole number from 0 (off) to 1000.
    #[arg(long)]
    pub min_count: Option<String>,
}

impl SiteSettings {
    /// The settings given, by name.
    #[must_use]
    pub fn given(&self) -> Vec<(&'static str, &str)> {
        [
            ("timezone", &self.timezone),
            ("allowed_hostnames", &self.allowed_hostnames),
            ("consent_mode", &self.consent_mode),
            ("forms", &self.forms),
            ("respect_dnt", &self.respect_dnt),
            ("policy_version", &self.policy_version),
            ("retention_months", &self.retention_months),
            ("keep_aggregates", &self.keep_aggregates),
            ("lookback_days", &self.lookback_days),
            ("attribution_model", &self.attribution_model),
            ("reporting_currency", &self.reporting_currency),
            ("stripe_secret", &self.stripe_secret),
            ("scoring", &self.scoring),
            ("min_count", &self.min_count),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_deref()?)))
        .collect()
    }
}
