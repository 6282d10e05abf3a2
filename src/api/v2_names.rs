//! Plausible's location name dimensions, `visit:country_name`,
//! `visit:region_name` and `visit:city_name`: the same groups as
//! `visit:country`, `visit:region` and `visit:city`, labelled by name (""
//! when the place has none, as Plausible answers). Filters on a name are
//! turned into filters on the codes whose names match, so both engines run
//! them as they run code filters.
//!
//! Names: countries by [`crate::domain::places::country_name`]; regions by
//! the geolocation database's own English names, recorded as regions are
//! first seen (`store::ReadView::region_names`; a region seen only before
//! that was recorded, or from a database without names, is named by its
//! code); cities are stored by name already.

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use super::ApiError;
use crate::{domain::places, store::ReadView};

/// Which place a name dimension names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Country,
    Region,
    City,
}

/// A name dimension's place and the code dimension it groups by.
pub(super) fn name_dimension(name: &str) -> Option<(Place, &'static str)> {
    Some(match name {
        "visit:country_name" => (Place::Country, "visit:country"),
        "visit:region_name" => (Place::Region, "visit:region"),
        "visit:city_name" => (Place::City, "visit:city"),
        _ => return None,
    })
}

/// The names of the places a query may show.
pub(crate) struct Names {
    regions: HashMap<String, String>,
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

impl Names {
    /// Loads the region names (only when a query names regions).
    pub(super) fn load(view: &ReadView, needed: bool) -> Result<Self, ApiError> {
        Ok(Self::of_regions(if needed {
            view.region_names()?
        } else {
            HashMap::new()
        }))
    }

    /// Names with these regions' (code → name).
    pub(crate) fn of_regions(regions: HashMap<String, String>) -> Self {
        Self { regions }
    }

    /// The name shown for a code.
    pub(super) fn label(&self, place: Place, code: &str) -> String {
        if code.is_empty() {
            return String::new();
        }
        match place {
            Place::Country => places::country_name(code),
            Place::Region => self
                .regions
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.to_owned()),
            Place::City => code.to_owned(),
        }
    }

    /// Every code of `place` the names know, with its name.
    fn universe(&self, place: Place) -> Vec<(String, String)> {
        match place {
            Place::Country => places::country_codes()
                .map(|c| (c.to_owned(), places::country_name(c)))
                .collect(),
            Place::Region => self
                .regions
                .iter()
                .map(|(c, n)| (c.clone(), n.clone()))
                .collect(),
            Place::City => Vec::new(),
        }
    }

    /// A filter tree with filters on names turned into filters on codes.
    ///
    /// # Errors
    /// An invalid regular expression.
    pub(super) fn rewrite_filter(&self, f: &Json) -> Result<Json, ApiError> {
        let Json::Array(a) = f else {
            return Ok(f.clone());
        };
        let op = a.first().and_then(Json::as_str).unwrap_or_default();
        match op {
            "and" | "or" => {
                let inner = match a.get(1) {
                    Some(Json::Array(list)) => list
                        .iter()
                        .map(|x| self.rewrite_filter(x))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => return Ok(f.clone()),
                };
                Ok(json!([op, inner]))
            }
            "not" | "has_done" | "has_not_done" => match a.get(1) {
                Some(x) => Ok(json!([op, self.rewrite_filter(x)?])),
                None => Ok(f.clone()),
            },
            _ => {
                let Some((place, code_dim)) =
                    a.get(1).and_then(Json::as_str).and_then(name_dimension)
                else {
                    return Ok(f.clone());
                };
                let mut out = a.clone();
                out[1] = json!(code_dim);
                if place == Place::City {
                    return Ok(Json::Array(out));
                }
                let values: Vec<String> = match a.get(2) {
                    Some(Json::Array(v)) => v
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect(),
                    _ => return Ok(f.clone()),
                };
                let negated = op.ends_with("_not");
                let positive = op.trim_end_matches("_not");
                let case_sensitive = a
                    .get(3)
                    .and_then(|m| m.get("case_sensitive"))
                    .and_then(Json::as_bool)
                    .unwrap_or(positive != "contains");
                let fold = |s: &str| {
                    if case_sensitive {
                        s.to_owned()
                    } else {
                        s.to_lowercase()
                    }
                };
                let regexes = if positive == "matches" {
                    crate::stats::filter::regexes(&values, case_sensitive)
                        .map_err(|e| bad(format!("#/filters: {e}")))?
                } else {
                    Vec::new()
                };
                let wanted: Vec<String> = values.iter().map(|v| fold(v)).collect();
                let codes: Vec<Json> = self
                    .universe(place)
                    .into_iter()
                    .filter(|(_, name)| {
                        let n = fold(name);
                        match positive {
                            "is" => wanted.contains(&n),
                            "contains" => wanted.iter().any(|w| n.contains(w.as_str())),
                            _ => regexes.iter().any(|r| r.is_match(name)),
                        }
                    })
                    .map(|(code, _)| json!(code))
                    .collect();
                // No place has the name: a code no place has.
                let codes = if codes.is_empty() {
                    vec![json!("(no such place)")]
                } else {
                    codes
                };
                Ok(json!([
                    if negated { "is_not" } else { "is" },
                    code_dim,
                    codes
                ]))
            }
        }
    }
}
