//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every JSON API (the
//! Stats, Sites, conversion, attribution, funnel and data APIs, the Events
//! API, Segment's Tracking API and the health probe), as written in
//! `assets/openapi.json`. `tests/api/openapi.rs` runs schemathesis against
//! the live server to keep it true.

use actix_web::HttpResponse;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("../../assets/openapi.json");

/// Handler: 200 with the document, `application/json`; no key needed.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::DOCUMENT;

    /// Where the JSON routes are registered: these directories' and files'
    /// sources, read when the test runs.
    const SOURCES: [&str; 4] = ["src/api", "src/tracker", "src/segment", "src/ops.rs"];

    /// Every `.rs` file under `path` (or `path` itself), but this one.
    fn sources(path: &std::path::Path, out: &mut Vec<(String, String)>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                sources(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("openapi.rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(path).unwrap(),
            ));
        }
    }

    /// Every route path of the JSON APIs, as registered.
    const ROUTES: &[&str] = &[
        "/api/openapi.json",
        "/api/v2/query",
        "/api/v1/stats/realtime/visitors",
        "/api/v1/stats/aggregate",
        "/api/v1/stats/timeseries",
        "/api/v1/stats/breakdown",
        "/api/v1/conversions",
        "/api/v1/attribution",
        "/api/v1/revenue",
        "/api/v1/funnel",
        "/api/v1/spend",
        "/api/v1/sites",
        "/api/v1/sites/goals",
        "/api/v1/sites/goals/{goal_id}",
        "/api/v1/sites/shared-links",
        "/api/v1/sites/{site_id}/settings",
        "/api/v1/sites/{site_id}",
        "/api/v1/sites/{site_id}/export",
        "/api/v1/sites/{site_id}/events",
        "/api/v1/sites/{site_id}/imports",
        "/api/v1/sites/{site_id}/imports/{id}",
        "/api/event",
        "/v1/batch",
        "/v1/import",
        "/v1/track",
        "/v1/page",
        "/v1/screen",
        "/v1/identify",
        "/v1/group",
        "/v1/alias",
        "/v1/b",
        "/v1/t",
        "/v1/p",
        "/v1/s",
        "/v1/i",
        "/v1/g",
        "/v1/a",
        "/v1/m",
        "/healthz",
    ];

    /// A path with its parameters' names erased: `/a/{x}` and `/a/{y}` are
    /// the same route.
    fn shape(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    /// The string literals of `source` that are JSON route paths: those
    /// starting `"/api/`, `"/v1/` or `"/healthz`.
    fn literals(source: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for prefix in ["\"/api/", "\"/v1/", "\"/healthz\""] {
            for (at, _) in source.match_indices(prefix) {
                let rest = &source[at + 1..];
                if let Some(end) = rest.find('"') {
                    out.push(&rest[..end]);
                }
            }
        }
        out
    }

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let doc: Value = serde_json::from_str(DOCUMENT).expect("assets/openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["info"]["title"].is_string());
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
        assert_eq!(schemes["segmentBasic"]["scheme"], "basic");
    }

    #[test]
    fn the_document_names_every_route_and_no_other() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        let documented: std::collections::BTreeSet<String> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| shape(p))
            .collect();
        let routes: std::collections::BTreeSet<String> = ROUTES.iter().map(|p| shape(p)).collect();
        assert_eq!(documented, routes, "the document's paths are the routes");
        // The list is the sources' routes: a route added there is added here.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for s in SOURCES {
            sources(&root.join(s), &mut files);
        }
        let mut registered = std::collections::BTreeSet::new();
        for (file, source) in &files {
            for path in literals(source) {
                assert!(
                    routes.contains(&shape(path)),
                    "{file} registers {path}, which the document does not name"
                );
                registered.insert(shape(path));
            }
        }
        assert_eq!(registered, routes, "every listed route is registered");
    }

    #[test]
    fn every_operation_documents_a_success_and_keyed_ones_a_401() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {path} documents a success"
                );
                // Keyed operations answer 401 without a key.
                if op["security"] == serde_json::json!([{"bearerAuth": []}]) {
                    assert!(
                        responses.contains_key("401"),
                        "{method} {path} documents 401"
                    );
                }
            }
        }
    }
}
