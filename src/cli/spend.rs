//! `spend import DOMAIN FILE.csv` and `spend list DOMAIN`: a site's ad
//! spend (the CSV's columns are in `domain::spend`).

use std::{fmt::Write as _, path::PathBuf};

use anyhow::Context;
use chrono::NaiveDate;

use super::manage::Ctx;
use crate::domain::{
    calendar::{date_of_day, day_number},
    money::{code_str, micros_to_decimal},
    spend::parse_csv,
};

/// `spend` actions.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SpendAction {
    /// Import ad spend from a CSV (date, source, medium, campaign, spend,
    /// currency; optional clicks, impressions). A day's row for the same
    /// source, medium and campaign replaces the stored one.
    Import {
        /// The site's domain.
        domain: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// List a site's spend, a line per day and campaign.
    List {
        /// The site's domain.
        domain: String,
        /// First date (YYYY-MM-DD); default: 30 days before `--to`.
        #[arg(long)]
        from: Option<String>,
        /// Last date; default: today.
        #[arg(long)]
        to: Option<String>,
    },
}

impl SpendAction {
    /// The command line that makes this command, the file's path absolute.
    pub(super) fn args(&self) -> anyhow::Result<Vec<String>> {
        Ok(match self {
            Self::Import { domain, file } => vec![
                "spend".into(),
                "import".into(),
                domain.clone(),
                super::absolute(file.clone())?.display().to_string(),
            ],
            Self::List { .. } => std::env::args().skip(1).collect(),
        })
    }
}

fn date(s: &str) -> anyhow::Result<u32> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(day_number)
        .with_context(|| format!("{s:?} is not a YYYY-MM-DD date"))
}

pub(super) fn run(ctx: &Ctx, a: &SpendAction, out: &mut String) -> anyhow::Result<()> {
    match a {
        SpendAction::Import { domain, file } => {
            let site = ctx.site(domain)?;
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let rows = parse_csv(&bytes).with_context(|| format!("{}", file.display()))?;
            anyhow::ensure!(!rows.is_empty(), "{} has no rows", file.display());
            let replaced = ctx.store.put_spend(site.id, &rows)?;
            let (first, last) = (rows[0].0.day, rows[rows.len() - 1].0.day);
            writeln!(
                out,
                "imported {} spend rows into {} ({} to {}; {replaced} replaced)",
                rows.len(),
                site.domain,
                date_of_day(first),
                date_of_day(last),
            )?;
        }
        SpendAction::List { domain, from, to } => {
            let site = ctx.site(domain)?;
            let today = crate::stats::period::today(ctx.now_ms(), site.timezone);
            let last = to.as_deref().map_or(Ok(day_number(today)), date)?;
            let first = from.as_deref().map_or(Ok(last.saturating_sub(29)), date)?;
            for (k, a) in ctx.store.spend(site.id, first, last)? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{} {}",
                    date_of_day(k.day),
                    k.source,
                    k.medium,
                    k.campaign,
                    micros_to_decimal(a.micros),
                    code_str(a.currency)
                )?;
            }
        }
    }
    Ok(())
}
