//! Goals: what counts as a conversion on a site.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, next_id, to_json},
    tables::{GOALS, META, NEXT_GOAL_ID, SITES},
};
use crate::domain::SiteId;

/// What completes a goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum GoalKind {
    /// A custom event with this name.
    Event(String),
    /// A pageview whose path matches this pattern (`*` matches anything).
    Page(String),
}

/// A goal of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    /// Id, unique in the store.
    pub id: u32,
    /// The site.
    pub site: crate::domain::SiteId,
    /// What completes it.
    pub kind: GoalKind,
}

impl Goal {
    /// Its display name, as Plausible shows goals: the event name, or
    /// `Visit /path*` for a page goal.
    #[must_use]
    pub fn name(&self) -> String {
        match &self.kind {
            GoalKind::Event(n) => n.clone(),
            GoalKind::Page(p) => format!("Visit {p}"),
        }
    }
}

impl Store {
    /// Adds a goal; an identical one is refused.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a duplicate or a missing site.
    pub fn add_goal(&self, site: SiteId, kind: GoalKind) -> Result<Goal, StoreError> {
        let tx = self.db.begin_write()?;
        let goal = {
            if tx.open_table(SITES)?.get(site.0)?.is_none() {
                return Err(StoreError::Conflict(format!("no site {site}")));
            }
            let mut goals = tx.open_table(GOALS)?;
            for row in goals.range((site.0, 0)..=(site.0, u32::MAX))? {
                let g: Goal = from_json(row?.1.value(), "goal row")?;
                if g.kind == kind {
                    return Err(StoreError::Conflict("this goal already exists".into()));
                }
            }
            let id = next_id(&mut tx.open_table(META)?, NEXT_GOAL_ID)?;
            let goal = Goal { id, site, kind };
            goals.insert((site.0, id), to_json(&goal)?.as_slice())?;
            goal
        };
        tx.commit()?;
        Ok(goal)
    }

    /// A site's goals, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn goals(&self, site: SiteId) -> Result<Vec<Goal>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(GOALS)?;
        let mut out = Vec::new();
        for row in t.range((site.0, 0)..=(site.0, u32::MAX))? {
            out.push(from_json(row?.1.value(), "goal row")?);
        }
        Ok(out)
    }

    /// Deletes a goal; returns whether it existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_goal(&self, site: SiteId, id: u32) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = tx.open_table(GOALS)?.remove((site.0, id))?.is_some();
        tx.commit()?;
        Ok(found)
    }
}
