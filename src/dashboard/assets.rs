//! The dashboard's stylesheet and scripts, embedded in the binary and served
//! with a content-hash ETag: pages link `?v=HASH`, so browsers cache them
//! for a year and a new build busts the cache.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};

/// An embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/app.js"),
    },
    // Linked only from pages with a passkey form.
    Asset {
        name: "passkeys.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/passkeys.js"),
    },
];

fn hashes() -> &'static [String; 3] {
    static H: OnceLock<[String; 3]> = OnceLock::new();
    H.get_or_init(|| ASSETS.map(|a| crate::privacy::sha256_hex(a.body)[..12].to_owned()))
}

/// The URL of an asset with its cache-busting hash (`/assets/app.css?v=...`).
#[must_use]
pub fn url(name: &str) -> String {
    let i = ASSETS.iter().position(|a| a.name == name).unwrap_or(0);
    format!("/assets/{}?v={}", ASSETS[i].name, hashes()[i])
}

/// `GET /assets/{name}`.
pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(i) = ASSETS.iter().position(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    crate::static_file::respond(
        &req,
        ASSETS[i].body,
        ASSETS[i].content_type,
        &hashes()[i],
        crate::static_file::Cache::Immutable,
    )
}
