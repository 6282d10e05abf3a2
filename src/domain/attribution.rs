//! The attribution models by name, and a site's attribution defaults: the
//! model reports lead with and the lookback window. Sites store a model by
//! its name ([`Model::as_str`]); how each model shares credit is computed in
//! the attribution module.

/// How credit is shared between a journey's touchpoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// All to the first touchpoint.
    FirstTouch,
    /// All to the last touchpoint.
    LastTouch,
    /// All to the last touchpoint that isn't `direct`; a journey of direct
    /// touchpoints only is credited to `direct`.
    LastNonDirect,
    /// Equal shares to every touchpoint.
    Linear,
    /// Touchpoint `i` weighs `2^(−Δtᵢ/H)`, Δtᵢ its time before the
    /// conversion and H the half-life; weights normalised to 1. A touch at or
    /// after the conversion time weighs 1.
    TimeDecay {
        /// Half-life, ms (must be > 0; 7 days by default).
        half_life_ms: u64,
    },
    /// 40% to the first touchpoint, 40% to the last, 20% shared equally by
    /// the ones between; one touchpoint gets 100%, two get 50% each.
    PositionBased,
    /// First-order Markov chain removal effect, solved exactly.
    Markov,
    /// Shapley value of the game v(S) = conversions (or revenue) of the
    /// converting journeys all of whose keys lie in S. That game is the sum,
    /// over journeys, of unanimity games on each journey's set of distinct
    /// keys, and a unanimity game's Shapley value is an equal share for each
    /// member: so the exact Shapley value gives each converting journey's
    /// conversions and revenue in equal parts to its distinct keys, computed
    /// without enumerating the 2ⁿ coalitions.
    Shapley,
}

/// Default time-decay half-life: 7 days.
pub const DEFAULT_HALF_LIFE_MS: u64 = 7 * 86_400_000;

impl Model {
    /// Every model with default parameters, in display order.
    pub const ALL: [Self; 8] = [
        Self::FirstTouch,
        Self::LastTouch,
        Self::LastNonDirect,
        Self::Linear,
        Self::TimeDecay {
            half_life_ms: DEFAULT_HALF_LIFE_MS,
        },
        Self::PositionBased,
        Self::Markov,
        Self::Shapley,
    ];

    /// Its name in URLs and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstTouch => "first_touch",
            Self::LastTouch => "last_touch",
            Self::LastNonDirect => "last_non_direct",
            Self::Linear => "linear",
            Self::TimeDecay { .. } => "time_decay",
            Self::PositionBased => "position_based",
            Self::Markov => "markov",
            Self::Shapley => "shapley",
        }
    }

    /// Parses a name (time decay with the default half-life).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Default lookback window: 90 days.
pub const DEFAULT_LOOKBACK_DAYS: u64 = 90;

/// The model a site's reports lead with unless it chose another (see the
/// README's Attribution section for why).
pub const DEFAULT_MODEL: Model = Model::LastNonDirect;

#[cfg(test)]
mod tests {
    use super::*;

    /// Sites store a model by its name: renaming a variant must not change it.
    #[test]
    fn models_keep_their_stored_names_and_defaults() {
        assert_eq!(
            Model::ALL.map(Model::as_str),
            [
                "first_touch",
                "last_touch",
                "last_non_direct",
                "linear",
                "time_decay",
                "position_based",
                "markov",
                "shapley",
            ]
        );
        for m in Model::ALL {
            assert_eq!(Model::parse(m.as_str()), Some(m));
        }
        assert_eq!(Model::parse("last non direct"), None);
        assert_eq!(
            Model::parse("time_decay"),
            Some(Model::TimeDecay {
                half_life_ms: 7 * 86_400_000
            })
        );
        assert_eq!(DEFAULT_MODEL.as_str(), "last_non_direct");
        assert_eq!(DEFAULT_LOOKBACK_DAYS, 90);
    }
}
