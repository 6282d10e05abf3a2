//! What a visit is in time: the inactivity that ends it. Ingest cuts visits by
//! it and reports (realtime) bound their reads by it.

/// Inactivity that ends a visit.
pub const SESSION_TIMEOUT_MS: u64 = 30 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored visits were cut at this gap; changing it changes what a visit is.
    #[test]
    fn a_visit_ends_after_thirty_idle_minutes() {
        assert_eq!(SESSION_TIMEOUT_MS, 1_800_000);
    }
}
