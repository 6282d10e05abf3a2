//! The report's chart: the dashboard's own SVG timeseries
//! ([`charts::timeseries`]) drawn to a PNG with resvg, since mail clients
//! don't show SVG. Axis labels use the machine's fonts (none installed: the
//! chart is drawn without its labels).

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::dashboard::views::charts::{self, Point};

/// Width of the chart's SVG (its viewBox), in CSS pixels.
pub const SVG_WIDTH: u32 = 800;
/// Height of the chart's SVG (its viewBox).
pub const SVG_HEIGHT: u32 = 240;
/// Pixels per CSS pixel in the PNG (sharp on high-density screens).
pub const SCALE: u32 = 2;
/// The PNG's size in pixels: (1600, 480).
pub const PNG_SIZE: (u32, u32) = (SVG_WIDTH * SCALE, SVG_HEIGHT * SCALE);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The SVG did not parse (a bug in the chart's markup).
    #[error("the chart's SVG does not parse")]
    Svg(#[source] usvg::Error),
    /// No pixmap of the size could be made.
    #[error("no {0}×{1} image could be allocated")]
    Pixmap(u32, u32),
    /// PNG encoding failed.
    #[error("the chart's PNG could not be encoded")]
    Png(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The system's fonts, loaded once (it reads every font file).
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

/// The dashboard chart of `points` (and the previous period, dashed) as a
/// PNG of [`PNG_SIZE`] on white.
///
/// # Errors
/// [`ChartError`]: a malformed SVG, or encoding.
pub fn png(
    points: &[(String, f64)],
    previous: Option<&[f64]>,
    metric: &str,
) -> Result<Vec<u8>, ChartError> {
    let points: Vec<Point> = points
        .iter()
        .map(|(label, value)| Point {
            label: label.clone(),
            value: *value,
            text: None,
        })
        .collect();
    let svg = charts::timeseries(&points, previous, metric).into_string();
    // A standalone SVG needs its namespace and a fixed size (the page gives
    // it the width of its box).
    let svg = svg.replacen(
        "<svg ",
        &format!("<svg xmlns=\"http://www.w3.org/2000/svg\" height=\"{SVG_HEIGHT}\" "),
        1,
    );
    let svg = svg.replacen("width=\"100%\"", &format!("width=\"{SVG_WIDTH}\""), 1);
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".into(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&svg, &options).map_err(ChartError::Svg)?;
    let (w, h) = PNG_SIZE;
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(ChartError::Pixmap(w, h))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    #[allow(clippy::cast_precision_loss)]
    let scale = SCALE as f32;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ChartError::Png(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_a_png_of_the_promised_size_with_the_line_drawn() {
        let points: Vec<(String, f64)> = (1..=7)
            .map(|d| (format!("Mar {d}"), f64::from(d)))
            .collect();
        let png = png(&points, Some(&[1.0; 7]), "Unique visitors").unwrap();
        let img = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((img.width(), img.height()), PNG_SIZE);
        // The line's colour (#4f46e5) is somewhere: the chart was drawn, not
        // just its white background.
        let drawn = img
            .pixels()
            .iter()
            .any(|p| (p.red(), p.green(), p.blue()) == (0x4f, 0x46, 0xe5));
        assert!(drawn, "no pixel of the line's colour");
    }
}
