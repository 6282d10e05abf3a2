//! Lead scoring. Rules give or take points when a lead's visits contain an
//! event, a page, or an event property; each counts once or each time, under
//! a fit or an engagement heading. With a half-life, points fade:
//! an occurrence Δt ago is worth `points · 2^(−Δt/H)`. A lead is qualified
//! from the first moment its score reaches the threshold.

use regex::Regex;

/// A site's scoring rules (domain types: they are stored with the site).
pub use crate::domain::scoring::{Condition, Heading, Rule, Scoring};

/// An event of a lead's journey, as scoring sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// When, unix ms.
    pub at_ms: u64,
    /// `None` for a pageview, else the event name.
    pub name: Option<String>,
    /// The page.
    pub path: String,
    /// Properties.
    pub props: Vec<(String, String)>,
}

/// A lead's scores.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Fit points now.
    pub fit: f64,
    /// Engagement points now.
    pub engagement: f64,
    /// When the score first reached the threshold.
    pub qualified_at_ms: Option<u64>,
}

impl Score {
    /// Fit and engagement together.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.fit + self.engagement
    }
}

/// A page pattern as a regex (`*` matches anything), compiled once per rule.
fn page_regex(c: &Condition) -> Option<Regex> {
    match c {
        Condition::Page(p) => Regex::new(&crate::stats::filter::page_pattern(p)).ok(),
        _ => None,
    }
}

fn matches(c: &Condition, re: Option<&Regex>, o: &Occurrence) -> bool {
    match c {
        Condition::Event(n) => o.name.as_deref() == Some(n.as_str()),
        Condition::Page(_) => o.name.is_none() && re.is_some_and(|re| re.is_match(&o.path)),
        Condition::Prop { key, value } => o.props.iter().any(|(k, v)| k == key && v == value),
    }
}

/// Scores a lead's occurrences (oldest first) as of `now_ms`. To score many
/// leads, compile the rules once with [`Scorer`].
#[must_use]
pub fn score(s: &Scoring, occurrences: &[Occurrence], now_ms: u64) -> Score {
    Scorer::new(s).score(occurrences, now_ms)
}

/// A site's rules with their page patterns compiled, for scoring many leads.
pub struct Scorer<'s> {
    s: &'s Scoring,
    res: Vec<Option<Regex>>,
}

impl<'s> Scorer<'s> {
    /// Compiles the rules' page patterns.
    #[must_use]
    pub fn new(s: &'s Scoring) -> Self {
        Self {
            s,
            res: s.rules.iter().map(|r| page_regex(&r.when)).collect(),
        }
    }

    /// As [`score`].
    #[must_use]
    pub fn score(&self, occurrences: &[Occurrence], now_ms: u64) -> Score {
        score_with(self.s, &self.res, occurrences, now_ms)
    }
}

fn score_with(
    s: &Scoring,
    res: &[Option<Regex>],
    occurrences: &[Occurrence],
    now_ms: u64,
) -> Score {
    // (heading, points, at) of every counted hit.
    let mut hits: Vec<(Heading, i64, u64)> = Vec::new();
    let mut used = vec![false; s.rules.len()];
    for o in occurrences {
        for (i, r) in s.rules.iter().enumerate() {
            if (r.each_time || !used[i]) && matches(&r.when, res[i].as_ref(), o) {
                used[i] = true;
                hits.push((r.heading, r.points, o.at_ms));
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let worth = |points: i64, at: u64, now: u64| -> f64 {
        let p = points as f64;
        if s.half_life_days == 0 {
            return p;
        }
        let h = f64::from(s.half_life_days) * 86_400_000.0;
        p * (-(now.saturating_sub(at) as f64) / h).exp2()
    };
    let mut out = Score::default();
    for &(heading, points, at) in &hits {
        let w = worth(points, at, now_ms);
        match heading {
            Heading::Fit => out.fit += w,
            Heading::Engagement => out.engagement += w,
        }
    }
    if s.threshold != 0 {
        #[allow(clippy::cast_precision_loss)]
        let threshold = s.threshold as f64;
        out.qualified_at_ms = hits.iter().map(|h| h.2).find(|&t| {
            let at_t: f64 = hits
                .iter()
                .filter(|h| h.2 <= t)
                .map(|h| worth(h.1, h.2, t))
                .sum();
            at_t >= threshold
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    fn pv(at_ms: u64, path: &str) -> Occurrence {
        Occurrence {
            at_ms,
            name: None,
            path: path.into(),
            props: vec![],
        }
    }

    fn ev(at_ms: u64, name: &str, props: &[(&str, &str)]) -> Occurrence {
        Occurrence {
            at_ms,
            name: Some(name.into()),
            path: "/".into(),
            props: props
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    fn rules() -> Scoring {
        let rule = |heading, when, points, each_time| Rule {
            heading,
            when,
            points,
            each_time,
        };
        Scoring {
            rules: vec![
                rule(
                    Heading::Engagement,
                    Condition::Page("/pricing*".into()),
                    10,
                    true,
                ),
                rule(
                    Heading::Engagement,
                    Condition::Event("Webinar".into()),
                    25,
                    false,
                ),
                rule(
                    Heading::Fit,
                    Condition::Prop {
                        key: "plan".into(),
                        value: "enterprise".into(),
                    },
                    40,
                    false,
                ),
                rule(Heading::Fit, Condition::Page("/careers".into()), -20, false),
            ],
            threshold: 60,
            half_life_days: 0,
        }
    }

    #[test]
    fn rules_add_once_or_each_time_and_the_threshold_is_dated() {
        let occ = [
            pv(0, "/pricing"),
            pv(DAY, "/pricing/teams"),
            ev(2 * DAY, "Webinar", &[]),
            ev(3 * DAY, "Webinar", &[]),
            ev(4 * DAY, "Signup", &[("plan", "enterprise")]),
            pv(5 * DAY, "/careers"),
        ];
        let s = score(&rules(), &occ, 6 * DAY);
        assert_eq!(s.engagement, 45.0, "two pricing views, one webinar");
        assert_eq!(s.fit, 20.0, "enterprise, minus careers");
        assert_eq!(s.total(), 65.0);
        // 10 + 10 + 25 = 45 by day 2; + 40 = 85 on day 4.
        assert_eq!(s.qualified_at_ms, Some(4 * DAY));
        // Below the threshold: never qualified.
        assert_eq!(score(&rules(), &occ[..3], 6 * DAY).qualified_at_ms, None);
    }

    #[test]
    fn points_fade_with_the_half_life() {
        let mut r = rules();
        r.half_life_days = 7;
        let s = score(&r, &[pv(0, "/pricing")], 14 * DAY);
        assert!(
            (s.engagement - 2.5).abs() < 1e-9,
            "10 points, two half-lives ago: {}",
            s.engagement
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Scoring>(&json).unwrap(), r);
    }
}
