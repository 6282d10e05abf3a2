//! Serving an embedded file: an ETag from its content, `304 Not Modified`
//! when the browser already has it, and the caller's cache policy.

use actix_web::{HttpRequest, HttpResponse, http::header};

/// How long browsers may keep a file.
#[derive(Debug, Clone, Copy)]
pub enum Cache {
    /// URLs that carry a content hash: a year, immutable.
    Immutable,
    /// Fixed URLs: an hour, then revalidate.
    Hour,
}

/// The response for `body` with tag `etag` (quotes added here).
#[must_use]
pub fn respond(
    req: &HttpRequest,
    body: &'static [u8],
    content_type: &str,
    etag: &str,
    cache: Cache,
) -> HttpResponse {
    let etag = format!("\"{etag}\"");
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
    resp.insert_header((header::ETAG, etag)).insert_header((
        header::CACHE_CONTROL,
        match cache {
            Cache::Immutable => "public, max-age=31536000, immutable",
            Cache::Hour => "public, max-age=3600",
        },
    ));
    if fresh {
        resp.finish()
    } else {
        resp.content_type(content_type.to_owned()).body(body)
    }
}
