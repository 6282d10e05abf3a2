//! The tracker, embedded and served at `/js/tp.js` (core) and
//! `/js/tp.full.js` (with consent modes, identify and form capture). The
//! readable source is `assets/tracker/tp.js`; `scripts/build-tracker.sh`
//! makes the two minified files served here.

use actix_web::{HttpRequest, HttpResponse, http::header};

/// The minified core tracker.
pub const TRACKER_JS: &str = include_str!("../../assets/tracker/tp.min.js");
/// The minified tracker with consent and forms.
pub const TRACKER_FULL_JS: &str = include_str!("../../assets/tracker/tp.full.min.js");
/// The minified consent banner.
pub const BANNER_JS: &str = include_str!("../../assets/tracker/tp-consent.min.js");
#[cfg(test)]
const BANNER_SOURCE: &str = include_str!("../../assets/tracker/tp-consent.js");
/// Its readable source (kept in the binary only for the freshness test).
#[cfg(test)]
const TRACKER_SOURCE: &str = include_str!("../../assets/tracker/tp.js");

/// The gzip budget of the core tracker, in bytes.
pub const BUDGET_GZIP_BYTES: usize = 1100;

/// `GET /js/tp.js`.
pub async fn core(req: HttpRequest) -> HttpResponse {
    serve(&req, TRACKER_JS)
}

/// `GET /js/tp.full.js`.
pub async fn full(req: HttpRequest) -> HttpResponse {
    serve(&req, TRACKER_FULL_JS)
}

/// `GET /js/tp-consent.js`.
pub async fn banner(req: HttpRequest) -> HttpResponse {
    serve(&req, BANNER_JS)
}

/// Cached for an hour (the URL has no version), revalidated by ETag.
fn serve(req: &HttpRequest, body: &'static str) -> HttpResponse {
    let etag = format!(
        "\"{}\"",
        &crate::privacy::sha256_hex(TRACKER_JS.as_bytes())[..16]
    );
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if fresh {
        resp.finish()
    } else {
        resp.content_type("text/javascript; charset=utf-8")
            .body(body)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_served_tracker_is_built_from_the_current_source() {
        let want = &crate::privacy::sha256_hex(TRACKER_SOURCE.as_bytes())[..16];
        for file in [TRACKER_JS, TRACKER_FULL_JS] {
            let first = file.lines().next().unwrap_or_default();
            assert!(
                first.starts_with(&format!("/*tp.js {want}*/")),
                "assets/tracker/*.min.js are stale: run scripts/build-tracker.sh"
            );
        }
        let banner = &crate::privacy::sha256_hex(BANNER_SOURCE.as_bytes())[..16];
        assert!(
            BANNER_JS.starts_with(&format!("/*tp-consent.js {banner}*/")),
            "assets/tracker/tp-consent.min.js is stale: run scripts/build-tracker.sh"
        );
        assert!(
            !TRACKER_JS.contains("_tp_uid"),
            "the core has no consent code"
        );
        assert!(TRACKER_FULL_JS.contains("_tp_uid") && TRACKER_FULL_JS.contains("SHA-256"));
    }

    #[test]
    fn the_core_tracker_is_within_its_gzip_budget() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(TRACKER_JS.as_bytes()).unwrap();
        let size = gz.finish().unwrap().len();
        assert!(
            size <= BUDGET_GZIP_BYTES,
            "tp.js is {size} bytes gzipped, over the {BUDGET_GZIP_BYTES}-byte budget"
        );
    }
}
