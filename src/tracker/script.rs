//! The tracker files, embedded and served under `/js/`: `tp.js` (core),
//! `tp.full.js` (with consent modes, identify and form capture),
//! `tp-consent.js` (the optional banner) and `tp-extras.js` (outbound links and
//! downloads). Readable sources are in `assets/tracker/`;
//! `scripts/build-tracker.sh` makes the minified files served here.

use actix_web::{HttpRequest, HttpResponse, http::header, web};

/// One served file: its name under `/js/`, the minified body, and the name
/// of the readable source it was built from (the first line records its hash).
struct Script {
    name: &'static str,
    body: &'static str,
    // Read by the freshness test only.
    #[cfg_attr(not(test), allow(dead_code))]
    source: &'static str,
}

const SCRIPTS: [Script; 4] = [
    Script {
        name: "tp.js",
        body: include_str!("../../assets/tracker/tp.min.js"),
        source: "tp.js",
    },
    Script {
        name: "tp.full.js",
        body: include_str!("../../assets/tracker/tp.full.min.js"),
        source: "tp.js",
    },
    Script {
        name: "tp-consent.js",
        body: include_str!("../../assets/tracker/tp-consent.min.js"),
        source: "tp-consent.js",
    },
    Script {
        name: "tp-extras.js",
        body: include_str!("../../assets/tracker/tp-extras.min.js"),
        source: "tp-extras.js",
    },
];

/// The gzip budget of the core tracker, in bytes.
pub const BUDGET_GZIP_BYTES: usize = 1100;

/// `GET /js/{name}`: cached for an hour (the URLs have no version),
/// revalidated by ETag.
pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(script) = SCRIPTS.iter().find(|s| s.name == name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let mut resp = crate::static_file::respond(
        &req,
        script.body.as_bytes(),
        "text/javascript; charset=utf-8",
        &crate::privacy::sha256_hex(script.body.as_bytes())[..16],
        crate::static_file::Cache::Hour,
    );
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn source(name: &str) -> &'static str {
        match name {
            "tp.js" => include_str!("../../assets/tracker/tp.js"),
            "tp-consent.js" => include_str!("../../assets/tracker/tp-consent.js"),
            _ => include_str!("../../assets/tracker/tp-extras.js"),
        }
    }

    fn body(name: &str) -> &'static str {
        SCRIPTS
            .iter()
            .find(|s| s.name == name)
            .map_or("", |s| s.body)
    }

    #[test]
    fn every_served_script_is_built_from_its_current_source() {
        for s in &SCRIPTS {
            let want = &crate::privacy::sha256_hex(source(s.source).as_bytes())[..16];
            assert!(
                s.body.starts_with(&format!("/*{} {want}*/", s.source)),
                "{} is stale: run scripts/build-tracker.sh",
                s.name
            );
        }
        assert!(
            !body("tp.js").contains("_tp_uid"),
            "the core has no consent code"
        );
        assert!(body("tp.full.js").contains("_tp_uid") && body("tp.full.js").contains("SHA-256"));
    }

    #[test]
    fn the_core_tracker_is_within_its_gzip_budget() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(body("tp.js").as_bytes()).unwrap();
        let size = gz.finish().unwrap().len();
        assert!(
            size <= BUDGET_GZIP_BYTES,
            "tp.js is {size} bytes gzipped, over the {BUDGET_GZIP_BYTES}-byte budget"
        );
    }
}
