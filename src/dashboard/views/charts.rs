//! Server-rendered SVG charts for the dashboard: no JavaScript, no inline
//! `style=` attributes (colours come from CSS classes, with presentation
//! attributes as fallbacks), and every user-supplied string escaped by maud.

use maud::{Markup, html};

const W: f64 = 800.0; // keep in sync with the viewBox literal below
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 24.0; // room for the last x label, which is centred on its point
const TOP: f64 = 16.0;
const BOTTOM: f64 = 30.0;
const MAX_X_LABELS: usize = 8;
/// Values are clamped to this magnitude so tick arithmetic never overflows.
const BIG: f64 = 1e300;

/// One point of a timeseries: its x label (e.g. "Mar 15" or "14:00") and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The x-axis label shown under the chart and in the hover tooltip.
    pub label: String,
    /// The metric's value at this point.
    pub value: f64,
    /// How the value reads when not as itself (`fewer than 5` for a count
    /// hidden by a site's minimum).
    pub text: Option<String>,
}

/// Line + area chart of one metric over time, made on the server as SVG.
/// `comparison` (same length or shorter) is drawn as a dashed line without area.
/// `metric` names the metric for the aria-label/title ("Unique visitors").
#[must_use]
pub fn timeseries(points: &[Point], comparison: Option<&[f64]>, metric: &str) -> Markup {
    timeseries_until(points, comparison, metric, points.len())
}

/// As [`timeseries`], with the line drawn through the first `begun` points
/// only: the others (future hours of today) keep their x labels but have no
/// value yet. The comparison is drawn in full.
#[must_use]
pub fn timeseries_until(
    points: &[Point],
    comparison: Option<&[f64]>,
    metric: &str,
    begun: usize,
) -> Markup {
    let n = points.len();
    let begun = begun.min(n);
    let values: Vec<f64> = points[..begun].iter().map(|p| clean(p.value)).collect();
    let cmp = comparison.unwrap_or(&[]);
    let cmp: Vec<f64> = cmp.iter().take(n).map(|&v| clean(v)).collect();
    let max = values.iter().chain(&cmp).fold(0.0, |a: f64, &b| a.max(b));
    let integer = values.iter().chain(&cmp).all(|v| v.fract() == 0.0);
    let ticks = nice_ticks(max, integer);
    let top = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let base = TOP + ph;
    // Horizontal distance between points (the whole plot width for one point).
    let dx = pw / n.saturating_sub(1).max(1) as f64;
    let x0 = if n > 1 { LEFT } else { LEFT + pw / 2.0 };
    let x = |i: usize| x0 + dx * i as f64;
    let y = |v: f64| base - ph * (v.max(0.0) / top).min(1.0);
    let xy = |i: usize, v: f64| format!("{},{}", coord(x(i)), coord(y(v)));

    let line: Vec<String> = values.iter().enumerate().map(|(i, &v)| xy(i, v)).collect();
    let line_d = format!("M{}", line.join(" L"));
    let (first_x, last_x, b) = (coord(x(0)), coord(x(begun.saturating_sub(1))), coord(base));
    let area_d = format!("M{first_x},{b} L{} L{last_x},{b} Z", line.join(" L"));
    let cmp_pts: Vec<String> = cmp.iter().enumerate().map(|(i, &v)| xy(i, v)).collect();
    let hit_r = coord((dx / 2.0).clamp(3.0, 8.0));
    let peak_at = (0..values.len()).fold(None, |m: Option<usize>, i| match m {
        Some(j) if values[j] >= values[i] => Some(j),
        _ => Some(i),
    });
    let peak = peak_at
        .and_then(|i| points[i].text.clone())
        .unwrap_or_else(|| compact(peak_at.map_or(0.0, |i| values[i])));
    let aria = match (points.first(), points.last()) {
        (Some(a), Some(z)) => format!("{metric}, {} to {}, peak {peak}", a.label, z.label),
        _ => format!("{metric}: no data"),
    };
    let shown = thin_labels(n, MAX_X_LABELS);

    html! {
        svg class="timeseries" role="img" aria-label=(aria) viewBox="0 0 800 240"
            width="100%" font-size="12" {
            title { (metric) }
            @for t in &ticks {
                line class="ts-grid" x1=(coord(LEFT)) x2=(coord(W - RIGHT)) y1=(coord(y(*t)))
                    y2=(coord(y(*t))) stroke="#e5e7eb" stroke-width="1" {}
                text class="ts-axis" x=(coord(LEFT - 6.0)) y=(coord(y(*t))) dy="0.35em"
                    text-anchor="end" fill="#6b7280" { (compact(*t)) }
            }
            @for &i in &shown {
                text class="ts-axis" x=(coord(x(i))) y=(coord(H - 8.0))
                    text-anchor="middle" fill="#6b7280" { (points[i].label) }
            }
            @if begun == 0 {
                text class="ts-axis" x=(coord(LEFT + pw / 2.0)) y=(coord(TOP + ph / 2.0))
                    text-anchor="middle" fill="#6b7280" { "No data" }
            } @else {
                @if begun > 1 {
                    path class="ts-area" d=(area_d) fill="#4f46e5" fill-opacity="0.12" {}
                    path class="ts-line" d=(line_d) fill="none" stroke="#4f46e5" stroke-width="2"
                        stroke-linejoin="round" stroke-linecap="round" {}
                } @else {
                    circle class="ts-line" cx=(coord(x(0))) cy=(coord(y(values[0]))) r="3"
                        fill="none" stroke="#4f46e5" stroke-width="2" {}
                }
                @if cmp_pts.len() > 1 {
                    polyline class="ts-compare" points=(cmp_pts.join(" ")) fill="none"
                        stroke="#9ca3af" stroke-width="1.5" stroke-dasharray="6 4" {}
                }
                @for (i, p) in points[..begun].iter().enumerate() {
                    circle class="ts-hit" cx=(coord(x(i))) cy=(coord(y(values[i]))) r=(hit_r)
                        fill="transparent" {
                        title { (p.label) ": " (p.text.clone().unwrap_or_else(|| exact(values[i]))) }
                    }
                }
            }
        }
    }
}

/// The chart's key: the solid line is `current`, the dashed one `previous`.
#[must_use]
pub fn legend(current: &str, previous: &str) -> Markup {
    html! {
        p.chart-legend {
            span.legend-current { (current) }
            span.legend-previous { (previous) }
        }
    }
}

/// A horizontal bar for a ranked-list row: an SVG whose filled width is
/// `fraction` (clamped to 0..=1) of the row.
#[must_use]
pub fn bar(fraction: f64) -> Markup {
    let f = clean(fraction).clamp(0.0, 1.0); // NaN → 0
    html! {
        svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
            rect class="bar-fill" x="0" y="0" height="10" width=(format!("{:.1}", f * 100.0)) {}
        }
    }
}

/// Replaces NaN with 0 and clamps (infinities too) to ±`BIG`.
fn clean(v: f64) -> f64 {
    if v.is_nan() { 0.0 } else { v.clamp(-BIG, BIG) }
}

/// An SVG coordinate with at most one decimal ("12", "12.5").
fn coord(v: f64) -> String {
    fixed(v, 1)
}

/// 4–6 evenly spaced ticks from 0 to at least `max`, with a step of
/// 1, 2, 2.5 or 5 × 10^n. With `integer` data the step is a whole number
/// (a 0–1 range becomes 0, 1, 2, 3). A max of 0 (or invalid) gives 0..=3.
fn nice_ticks(max: f64, integer: bool) -> Vec<f64> {
    if !(max > 0.0 && max.is_finite()) {
        return vec![0.0, 1.0, 2.0, 3.0];
    }
    let mut exp = (max / 5.0).log10().floor() as i32 - 1;
    if integer {
        exp = exp.max(0); // whole-number steps only
    }
    for _ in 0..8 {
        // Dividing by 10^-exp keeps 0.6 exact where 3 × 0.2 would not be.
        let (mag, div) = (10f64.powi(exp.max(0)), 10f64.powi((-exp).max(0)));
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * mag / div;
            if integer && step.fract() != 0.0 {
                continue;
            }
            // Intervals needed; the tolerance absorbs float error (0.3 / 0.1).
            let count = (max / step * (1.0 - 1e-9)).ceil();
            if count <= 5.0 {
                // Fewer than 3 only happens with integer data and step 1.
                let count = count.max(3.0) as usize;
                return (0..=count).map(|i| i as f64 * m * mag / div).collect();
            }
        }
        exp += 1;
    }
    vec![0.0, max / 3.0, max * 2.0 / 3.0, max] // unreachable in practice
}

/// `v` rounded to at most `decimals` (≥ 1) decimals, trailing zeros dropped.
fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.0$}", decimals.max(1));
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" { "0".into() } else { t.into() }
}

/// A value below 1000 as written: integers plain, fractions with a few decimals.
fn plain(v: f64) -> String {
    let decimals = match v.abs() {
        a if a < 1.0 => 3,
        a if a < 100.0 => 2,
        _ => 1,
    };
    fixed(v, decimals)
}

/// Compact axis label: integers below 1000 as is, then 1.2k, 34.5k, 123k, 3.4M,
/// 1.2B, 5T, …; scientific notation from 10^21 on.
fn compact(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    if v < 0.0 {
        return format!("-{}", compact(-v));
    }
    if v >= 1e21 {
        return format!("{v:.1e}");
    }
    if v < 1000.0 {
        return plain(v);
    }
    let units = ["k", "M", "B", "T", "P", "E"];
    for (i, unit) in units.iter().enumerate() {
        let s = v / 1000f64.powi(i as i32 + 1);
        let scale = if s < 99.95 { 10.0 } else { 1.0 }; // one decimal below 100
        let r = (s * scale).round() / scale;
        if r < 1000.0 || i == units.len() - 1 {
            return format!("{}{unit}", fixed(r, 1));
        }
    }
    unreachable!()
}

/// Tooltip value: whole numbers with thousands separators ("12,345"),
/// fractions with a few decimals, astronomically large ones compact.
fn exact(v: f64) -> String {
    if v.abs() >= 1e15 {
        return compact(v);
    }
    if v.fract() != 0.0 {
        return plain(v);
    }
    let digits = format!("{}", v.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// Indices of the x labels to show among `n`: all if `n <= max`, otherwise
/// evenly spaced ones, always including the first and last, at most `max`.
fn thin_labels(n: usize, max: usize) -> Vec<usize> {
    if n <= max.max(2) {
        return (0..n).collect();
    }
    let step = (n - 1).div_ceil(max.max(2) - 1);
    let mut out: Vec<usize> = (0..n - 1).step_by(step).collect();
    if out.len() > 1 && (n - 1 - out[out.len() - 1]) * 5 < step * 4 {
        out.pop(); // closer to the last label than 0.8 steps: they could overlap
    }
    out.push(n - 1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[f64]) -> Vec<Point> {
        let pt = |(i, &value)| Point {
            label: format!("D{i}"),
            value,
            text: None,
        };
        values.iter().enumerate().map(pt).collect()
    }

    fn join(values: &[f64], f: impl Fn(f64) -> String) -> String {
        values.iter().map(|&v| f(v)).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn nice_ticks_are_nice() {
        let ticks = |max, int| join(&nice_ticks(max, int), |t| t.to_string());
        assert_eq!(ticks(100.0, true), "0 20 40 60 80 100");
        assert_eq!(ticks(0.0, true), "0 1 2 3");
        assert_eq!(ticks(1.0, true), "0 1 2 3");
        assert_eq!(ticks(7.0, true), "0 2 4 6 8");
        assert_eq!(ticks(12.0, false), "0 2.5 5 7.5 10 12.5");
        assert_eq!(ticks(12.0, true), "0 5 10 15");
        assert_eq!(ticks(0.7, false), "0 0.2 0.4 0.6 0.8");
        let maxes = (-40..80).map(|e| 1.7f64.powi(e)).chain([0.3, 12.0, 1e300]);
        for (max, integer) in maxes.flat_map(|m| [(m, false), (m, true)]) {
            let t = nice_ticks(max, integer);
            let top = *t.last().unwrap();
            assert!((4..=6).contains(&t.len()) && t[0] == 0.0, "{max}: {t:?}");
            assert!(top >= max && top.is_finite(), "{max}: {t:?}");
            let step = t[1] / 10f64.powf(t[1].log10().floor());
            let nice = [1.0, 2.0, 2.5, 5.0].iter().any(|m| (m - step).abs() < 1e-9);
            assert!(nice, "{t:?}");
        }
    }

    #[test]
    fn compact_numbers() {
        let values = [0.0, 7.0, 999.0, 1000.0, 1234.0, 12_345.0, 123_456.0];
        assert_eq!(join(&values, compact), "0 7 999 1k 1.2k 12.3k 123k");
        let values = [999_999.0, 3.4e6, 2.5e9, -1500.0, 0.25, 1e21, f64::NAN];
        assert_eq!(join(&values, compact), "1M 3.4M 2.5B -1.5k 0.25 1.0e21 0");
        let values = [1_234_567.0, 12.5, -1000.0, 1234.5, 1e18];
        assert_eq!(join(&values, exact), "1,234,567 12.5 -1,000 1234.5 1E");
        assert_eq!(join(&[12.345, -0.01, 800.0, 7.96], coord), "12.3 0 800 8");
    }

    #[test]
    fn thinning_keeps_ends_and_limit() {
        assert_eq!(thin_labels(0, 8), Vec::<usize>::new());
        assert_eq!(thin_labels(1, 8), [0]);
        assert_eq!(thin_labels(8, 8), (0..8).collect::<Vec<_>>());
        for n in 2..400 {
            let t = thin_labels(n, 8);
            assert!(t.len() <= 8 && t.len() >= 2, "{n}: {t:?}");
            assert_eq!((t[0], *t.last().unwrap()), (0, n - 1));
            assert!(t.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn edge_cases_render() {
        let empty = timeseries(&[], None, "Visitors").into_string();
        assert!(empty.contains("No data") && !empty.contains("style="));
        let one = timeseries(&pts(&[5.0]), Some(&[3.0]), "Visitors").into_string();
        assert!(one.contains("D0: 5"));
        let zero = timeseries(&pts(&[0.0; 30]), Some(&[0.0; 30]), "V").into_string();
        assert!(!zero.contains("NaN") && !zero.contains("inf"));
        let huge = pts(&[1e18, f64::MAX, f64::NAN, f64::INFINITY, -5.0, 3.0]);
        let s = timeseries(&huge, Some(&[1e20; 9]), "V").into_string();
        assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
        let long = timeseries(&pts(&[1.0; 365]), None, "V").into_string();
        assert!(long.matches("<text").count() <= 8 + 6);
        assert!(long.contains(">D0<") && long.contains(">D364<"));
    }

    #[test]
    fn the_line_stops_at_the_last_begun_point_but_the_axis_goes_on() {
        let s = timeseries_until(&pts(&[1.0; 24]), Some(&[2.0; 24]), "V", 10).into_string();
        assert_eq!(s.matches("class=\"ts-hit\"").count(), 10, "{s}");
        assert!(s.contains(">D23<"), "the last hour's label is still there");
        let line = s.split("class=\"ts-line\" d=\"").nth(1).unwrap();
        let line = &line[..line.find('"').unwrap()];
        assert_eq!(line.matches(" L").count(), 9, "{line}");
        assert!(s.contains("ts-compare"), "the comparison is drawn in full");
        let none = timeseries_until(&pts(&[1.0; 24]), None, "V", 0).into_string();
        assert!(none.contains("No data") && !none.contains("ts-hit"));
    }

    #[test]
    fn output_is_escaped_and_styleless() {
        let mut p = pts(&[1500.0, 2.0]);
        p[0].label = "<script>\"x\"&".into();
        let s = timeseries(&p, Some(&[1.0, 2.0]), "<b>Visits</b>").into_string();
        assert!(!s.contains("<script>") && !s.contains("<b>"));
        assert!(s.contains("&lt;script&gt;&quot;x&quot;&amp;: 1,500"));
        assert!(s.contains("ts-area") && s.contains("ts-line") && s.contains("ts-compare"));
        assert!(s.contains(r#"<svg class="timeseries" role="img" aria-label="&lt;b&gt;"#));
        for out in [s, bar(0.5).into_string()] {
            assert!(!out.contains("style="), "{out}");
        }
    }

    #[test]
    fn bar_width_is_clamped() {
        let width = |f| {
            bar(f)
                .into_string()
                .split("width=")
                .nth(1)
                .unwrap()
                .to_string()
        };
        assert_eq!(width(0.123), r#""12.3"></rect></svg>"#);
        for (f, want) in [(2.0, "100.0"), (-1.0, "0.0"), (f64::NAN, "0.0")] {
            assert_eq!(width(f), format!(r#""{want}"></rect></svg>"#));
        }
        let want = r#"<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect class="bar-fill" x="0" y="0" height="10" width="50.0"></rect></svg>"#;
        assert_eq!(bar(0.5).into_string(), want);
    }
}
