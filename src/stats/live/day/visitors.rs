//! A live day's visitors: which of their visits of the day are in which
//! group, so a visitor leaves a group only when none of their visits is in
//! it any more (exact visitor counts under changes).

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::{Contribution, LiveDay, VisitKey};
use crate::store::{ReadView, StoreError};

/// The visits of one visitor that day, and — once a change touched a
/// visitor with several — how many of them are in each group.
#[derive(Default)]
pub(super) struct Visitor {
    pub(super) visits: Vec<VisitKey>,
    in_groups: Option<HashMap<(u8, u32), u32, FxBuildHasher>>,
}

impl LiveDay {
    /// How many of `visits` are in each group.
    fn counts(
        &mut self,
        view: &ReadView,
        visits: &[VisitKey],
    ) -> Result<HashMap<(u8, u32), u32, FxBuildHasher>, StoreError> {
        let mut counts: HashMap<(u8, u32), u32, FxBuildHasher> = HashMap::default();
        for k in visits {
            let Some(row) = self.visits.get(k).cloned() else {
                continue;
            };
            for (code, value, _) in self.contribution(view, k.0, &row)? {
                *counts.entry((code, value)).or_default() += 1;
            }
        }
        Ok(counts)
    }

    /// Takes visit `key` (its row already out of `visits`), whose
    /// contribution was `c`, out of `visitor`'s: the visitor leaves each
    /// group none of their other visits is in.
    pub(super) fn leave(
        &mut self,
        view: &ReadView,
        visitor: u64,
        key: VisitKey,
        c: &Contribution,
    ) -> Result<(), StoreError> {
        let Some(mut v) = self.visitors.remove(&visitor) else {
            return Ok(());
        };
        v.visits.retain(|k| *k != key);
        let mut counts = match v.in_groups.take() {
            Some(counts) => counts,
            None if v.visits.is_empty() => HashMap::default(),
            None => {
                let mut counts = self.counts(view, &v.visits)?;
                for (code, value, _) in c {
                    *counts.entry((*code, *value)).or_default() += 1;
                }
                counts
            }
        };
        for (code, value, _) in c {
            let n = counts.get(&(*code, *value)).copied().unwrap_or(1);
            if n <= 1 {
                counts.remove(&(*code, *value));
                self.count_visitor(*code, *value, false);
            } else {
                counts.insert((*code, *value), n - 1);
            }
        }
        if !v.visits.is_empty() {
            // One visit left: its contribution is the visitor's groups.
            v.in_groups = (v.visits.len() > 1).then_some(counts);
            self.visitors.insert(visitor, v);
        }
        Ok(())
    }

    /// Adds visit `key` with contribution `c` to `visitor`'s: the visitor
    /// joins each group none of their other visits is in.
    pub(super) fn join(
        &mut self,
        view: &ReadView,
        visitor: u64,
        key: VisitKey,
        c: &Contribution,
    ) -> Result<(), StoreError> {
        let mut v = self.visitors.remove(&visitor).unwrap_or_default();
        if v.visits.is_empty() {
            for (code, value, _) in c {
                self.count_visitor(*code, *value, true);
            }
        } else {
            let mut counts = match v.in_groups.take() {
                Some(counts) => counts,
                None => self.counts(view, &v.visits)?,
            };
            for (code, value, _) in c {
                let n = counts.entry((*code, *value)).or_default();
                *n += 1;
                if *n == 1 {
                    self.count_visitor(*code, *value, true);
                }
            }
            v.in_groups = Some(counts);
        }
        v.visits.push(key);
        self.visitors.insert(visitor, v);
        Ok(())
    }

    /// One visitor more (`more`) or fewer in group (`code`, `value`).
    fn count_visitor(&mut self, code: u8, value: u32, more: bool) {
        if let Some(s) = self.groups[usize::from(code)].get_mut(&value) {
            s.visitors = if more {
                s.visitors + 1
            } else {
                s.visitors.saturating_sub(1)
            };
        }
    }
}
