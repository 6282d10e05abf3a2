//! Filter evaluation against a visit (and one of its events). Each leaf caches
//! its verdict per raw value, so a filter on a page costs one string compare
//! per distinct page, not per event.

use std::{cell::RefCell, collections::HashMap};

use rustc_hash::FxBuildHasher;

use regex::{Regex, RegexBuilder};

use super::{
    query::{Dimension, Filter, Op},
    values::Texts,
    visit::VisitRow,
};
use crate::{
    domain::text::{self, Field},
    store::StoreError,
};

/// A page pattern of goals, funnels and scoring rules (`*` matches any run of
/// characters, everything else literally) as an anchored regex. The pattern
/// is normalised as stored paths are, so `/caf%C3%A9*` and `/café*` agree.
#[must_use]
pub fn page_pattern(p: &str) -> String {
    let p = text::filter_value(Field::Path, p);
    format!("^{}$", regex::escape(&p).replace("\\*", ".*"))
}

/// How the stored texts of a dimension were normalised, so its filter values
/// get the same treatment; `None` for dimensions of codes and names from
/// lookup tables (channel, device, browser, country...).
#[must_use]
pub fn text_field(dim: &Dimension) -> Option<Field> {
    match dim {
        Dimension::Page | Dimension::EntryPage | Dimension::ExitPage => Some(Field::Path),
        Dimension::Hostname => Some(Field::Hostname),
        Dimension::Referrer => Some(Field::Referrer),
        Dimension::Source | Dimension::Utm(_) => Some(Field::Query),
        Dimension::Name => Some(Field::Name),
        Dimension::Prop(_) => Some(Field::PropValue),
        _ => None,
    }
}

/// A filter's values as compared: `is` and `contains` values normalised like
/// the stored texts of the dimension (see [`crate::domain::text`]); regular
/// expressions as typed.
#[must_use]
pub fn filter_values(op: Op, dim: &Dimension, values: &[String]) -> Vec<String> {
    match text_field(dim) {
        Some(field) if !matches!(op, Op::Matches | Op::MatchesNot) => values
            .iter()
            .map(|v| {
                if v == NONE {
                    v.clone()
                } else {
                    text::filter_value(field, v)
                }
            })
            .collect(),
        _ => values.to_vec(),
    }
}

/// A `matches` filter's patterns, compiled as filters compile them (size
/// bounded, case folded unless `case_sensitive`).
///
/// # Errors
/// The first invalid pattern, as a message.
pub fn regexes(values: &[String], case_sensitive: bool) -> Result<Vec<Regex>, String> {
    values
        .iter()
        .map(|v| {
            RegexBuilder::new(v)
                .case_insensitive(!case_sensitive)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("invalid regular expression {v:?}: {e}"))
        })
        .collect()
}

/// Raw values below this are memoised in a plain array (at most 64 KiB a leaf).
const SMALL: usize = 1 << 16;

/// The filter value that matches a missing value.
const NONE: &str = "(none)";

struct Leaf {
    op: Op,
    dim: Dimension,
    values: Vec<String>,
    regexes: Vec<Regex>,
    case_sensitive: bool,
    prop_key: u32,
    memo: RefCell<HashMap<u64, bool, FxBuildHasher>>,
    /// The same for raw values below [`SMALL`], indexed directly (0: not
    /// decided yet, 1: no, 2: yes): codes, countries and the ids of most
    /// texts, so a leaf costs an array read per visit.
    small: RefCell<Vec<u8>>,
}

enum Node {
    Leaf(Box<Leaf>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    HasDone(Box<Node>),
}

/// A filter ready to evaluate.
pub struct Compiled<'t> {
    root: Node,
    texts: &'t Texts<'t>,
    /// True when some leaf is about events, so a visit matches through its events.
    pub has_event_leaf: bool,
    /// False when the filter can be decided from a visit's attributes alone.
    pub needs_events: bool,
    /// True when some leaf compares event names: the events it picks count
    /// in a page breakdown (where they happened) even if not pageviews.
    pub names_events: bool,
}

/// A filter that can't be compiled.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

fn compile(f: &Filter, texts: &Texts<'_>) -> Result<Node, FilterError> {
    Ok(match f {
        Filter::Leaf {
            op,
            dim,
            values,
            case_sensitive,
        } => {
            let regexes = if matches!(op, Op::Matches | Op::MatchesNot) {
                regexes(values, *case_sensitive).map_err(FilterError)?
            } else {
                Vec::new()
            };
            let prop_key = match dim {
                Dimension::Prop(k) => texts
                    .id_of(k)
                    .map_err(|e| FilterError(e.to_string()))?
                    .unwrap_or(0),
                _ => 0,
            };
            let values = filter_values(*op, dim, values);
            Node::Leaf(Box::new(Leaf {
                op: *op,
                dim: dim.clone(),
                values: if *case_sensitive {
                    values
                } else {
                    values.iter().map(|v| v.to_lowercase()).collect()
                },
                regexes,
                case_sensitive: *case_sensitive,
                prop_key,
                memo: RefCell::new(HashMap::default()),
                small: RefCell::new(Vec::new()),
            }))
        }
        Filter::And(v) => Node::And(
            v.iter()
                .map(|f| compile(f, texts))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(v) => Node::Or(
            v.iter()
                .map(|f| compile(f, texts))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Not(f) => Node::Not(Box::new(compile(f, texts)?)),
        Filter::HasDone(f) => Node::HasDone(Box::new(compile(f, texts)?)),
    })
}

impl<'t> Compiled<'t> {
    /// Compiles `f`, validating its regexes.
    ///
    /// # Errors
    /// An invalid regex, or a storage error resolving a property key.
    pub fn new(f: &Filter, texts: &'t Texts<'t>) -> Result<Self, FilterError> {
        Ok(Self {
            root: compile(f, texts)?,
            texts,
            has_event_leaf: f.has_event_leaf(),
            needs_events: f.needs_events(),
            names_events: f.names_events(),
        })
    }

    /// Evaluates on a visit and, for event-level leaves, one of its events
    /// (an index into the visit's events). With no event, event-level leaves
    /// see "no value".
    ///
    /// # Errors
    /// Storage errors while resolving text.
    pub fn eval<V: VisitRow>(&self, s: &V, e: Option<usize>) -> Result<bool, StoreError> {
        self.node(&self.root, s, e)
    }

    /// Every dimension a leaf compares.
    #[must_use]
    pub fn dimensions(&self) -> Vec<Dimension> {
        fn walk(n: &Node, out: &mut Vec<Dimension>) {
            match n {
                Node::Leaf(l) => out.push(l.dim.clone()),
                Node::And(v) | Node::Or(v) => v.iter().for_each(|c| walk(c, out)),
                Node::Not(c) | Node::HasDone(c) => walk(c, out),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    fn node<V: VisitRow>(&self, n: &Node, s: &V, e: Option<usize>) -> Result<bool, StoreError> {
        Ok(match n {
            Node::And(v) => {
                for c in v {
                    if !self.node(c, s, e)? {
                        return Ok(false);
                    }
                }
                true
            }
            Node::Or(v) => {
                for c in v {
                    if self.node(c, s, e)? {
                        return Ok(true);
                    }
                }
                false
            }
            Node::Not(c) => !self.node(c, s, e)?,
            Node::HasDone(c) => {
                for j in 0..s.events() {
                    if self.node(c, s, Some(j))? {
                        return Ok(true);
                    }
                }
                false
            }
            Node::Leaf(l) => {
                let raw = match (l.dim.is_event_level(), e) {
                    (true, Some(j)) => s.event_raw(j, &l.dim, l.prop_key),
                    (true, None) => u64::MAX,
                    (false, _) => s.visit_raw(&l.dim),
                };
                let small = usize::try_from(raw).ok().filter(|r| *r < SMALL);
                if let Some(r) = small {
                    match l.small.borrow().get(r) {
                        Some(1) => return Ok(false),
                        Some(2) => return Ok(true),
                        _ => {}
                    }
                } else if let Some(v) = l.memo.borrow().get(&raw) {
                    return Ok(*v);
                }
                let text = if raw == u64::MAX {
                    None
                } else {
                    Some(self.texts.text(&l.dim, raw)?)
                };
                let v = leaf_matches(l, text.as_deref());
                if let Some(r) = small {
                    let mut t = l.small.borrow_mut();
                    if t.len() <= r {
                        t.resize(r + 1, 0);
                    }
                    t[r] = 1 + u8::from(v);
                } else {
                    l.memo.borrow_mut().insert(raw, v);
                }
                v
            }
        })
    }
}

/// One comparison of a filter, decided on raw dimension values: for an
/// engine that filters elsewhere (ClickHouse), which of the values it holds
/// a leaf accepts — by the same rules, text normalisation and regexes as
/// [`Compiled::eval`].
pub struct RawLeaf<'t> {
    leaf: Leaf,
    texts: &'t Texts<'t>,
}

impl<'t> RawLeaf<'t> {
    /// Compiles one leaf; `None` for an `And`/`Or`/`Not` node.
    ///
    /// # Errors
    /// An invalid regex, or a storage error resolving a property key.
    pub fn new(f: &Filter, texts: &'t Texts<'t>) -> Result<Option<Self>, FilterError> {
        match compile(f, texts)? {
            Node::Leaf(l) => Ok(Some(Self { leaf: *l, texts })),
            _ => Ok(None),
        }
    }

    /// The interned id of the property key a `Prop` leaf compares (0: never seen).
    #[must_use]
    pub fn prop_key(&self) -> u32 {
        self.leaf.prop_key
    }

    /// Whether the leaf holds for a stored raw value (`u64::MAX`: no value).
    ///
    /// # Errors
    /// Storage errors resolving the text.
    pub fn accepts(&self, raw: u64) -> Result<bool, StoreError> {
        let text = if raw == u64::MAX {
            None
        } else {
            Some(self.texts.text(&self.leaf.dim, raw)?)
        };
        Ok(leaf_matches(&self.leaf, text.as_deref()))
    }

    /// Whether the leaf holds for a text (`None` or empty: no value).
    #[must_use]
    pub fn accepts_text(&self, text: Option<&str>) -> bool {
        leaf_matches(&self.leaf, text.filter(|t| !t.is_empty()))
    }

    /// The dimension it compares.
    #[must_use]
    pub fn dimension(&self) -> &Dimension {
        &self.leaf.dim
    }
}

fn leaf_matches(l: &Leaf, text: Option<&str>) -> bool {
    let Some(text) = text else {
        return matches!(l.op, Op::IsNot | Op::ContainsNot | Op::MatchesNot);
    };
    let folded;
    let t = if l.case_sensitive {
        text
    } else {
        folded = text.to_lowercase();
        &folded
    };
    let any = match l.op {
        Op::Is | Op::IsNot => l
            .values
            .iter()
            .any(|v| v == t || (v == NONE && t.is_empty())),
        Op::Contains | Op::ContainsNot => l.values.iter().any(|v| t.contains(v.as_str())),
        Op::Matches | Op::MatchesNot => l.regexes.iter().any(|r| r.is_match(text)),
    };
    match l.op {
        Op::Is | Op::Contains | Op::Matches => any,
        Op::IsNot | Op::ContainsNot | Op::MatchesNot => !any,
    }
}
