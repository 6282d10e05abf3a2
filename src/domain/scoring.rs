//! A site's lead-scoring rules, as stored with the site: which occurrences
//! give or take points, under which heading, the qualifying threshold and the
//! points' half-life. Scoring a lead by them is attribution's job.

use serde::{Deserialize, Serialize};

/// Which score a rule adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Heading {
    /// Who they are (plan, company size, country...).
    Fit,
    /// What they do.
    Engagement,
}

/// What a rule looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    /// A custom event by name.
    Event(String),
    /// A pageview of a path (`*` matches anything).
    Page(String),
    /// An event property with this value.
    Prop {
        /// Property key.
        key: String,
        /// Its value.
        value: String,
    },
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Fit or engagement.
    pub heading: Heading,
    /// What it looks for.
    pub when: Condition,
    /// Points (negative to take away).
    pub points: i64,
    /// Every occurrence counts (else only the first).
    #[serde(default)]
    pub each_time: bool,
}

/// A site's scoring setup.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scoring {
    /// Rules, applied in order.
    pub rules: Vec<Rule>,
    /// Score at which a lead is qualified (0 = no threshold).
    #[serde(default)]
    pub threshold: i64,
    /// Half-life of points, days (0 = points never fade).
    #[serde(default)]
    pub half_life_days: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sites store their rules in this form: renaming a field or variant must
    /// not change it.
    #[test]
    fn rules_keep_their_stored_form() {
        let scoring = Scoring {
            rules: vec![
                Rule {
                    heading: Heading::Engagement,
                    when: Condition::Page("/pricing*".into()),
                    points: 10,
                    each_time: true,
                },
                Rule {
                    heading: Heading::Engagement,
                    when: Condition::Event("Webinar".into()),
                    points: 25,
                    each_time: false,
                },
                Rule {
                    heading: Heading::Fit,
                    when: Condition::Prop {
                        key: "plan".into(),
                        value: "enterprise".into(),
                    },
                    points: -5,
                    each_time: false,
                },
            ],
            threshold: 60,
            half_life_days: 7,
        };
        let stored = concat!(
            r#"{"rules":["#,
            r#"{"heading":"engagement","when":{"page":"/pricing*"},"points":10,"each_time":true},"#,
            r#"{"heading":"engagement","when":{"event":"Webinar"},"points":25,"each_time":false},"#,
            r#"{"heading":"fit","when":{"prop":{"key":"plan","value":"enterprise"}},"points":-5,"each_time":false}"#,
            r#"],"threshold":60,"half_life_days":7}"#
        );
        assert_eq!(serde_json::to_string(&scoring).unwrap(), stored);
        assert_eq!(serde_json::from_str::<Scoring>(stored).unwrap(), scoring);
        // Fields added later default when absent.
        let old = r#"{"rules":[{"heading":"fit","when":{"event":"Signup"},"points":1}]}"#;
        let old: Scoring = serde_json::from_str(old).unwrap();
        assert_eq!((old.threshold, old.half_life_days), (0, 0));
        assert!(!old.rules[0].each_time);
        assert_eq!(
            serde_json::to_string(&Scoring::default()).unwrap(),
            r#"{"rules":[],"threshold":0,"half_life_days":0}"#
        );
    }
}
