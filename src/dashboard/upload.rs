//! File uploads from the dashboard (`multipart/form-data`), checked like
//! every other form (see [`super::web::Posted`]).

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload};

use super::{
    DashError,
    web::{check_origin, check_token},
};

/// A submitted `multipart/form-data` form (a file upload) whose CSRF token
/// was checked as [`Posted`]'s is: its text fields (at most 4 KiB each) and
/// its one file field's bytes (at most [`Uploaded::MAX_FILE_BYTES`]).
pub struct Uploaded {
    /// Text fields by name.
    pub fields: std::collections::BTreeMap<String, String>,
    /// The file field's name and bytes, when one was sent.
    pub file: Option<(String, Vec<u8>)>,
}

impl Uploaded {
    /// Largest file accepted.
    pub const MAX_FILE_BYTES: usize = 16 << 20;
    /// Most fields (text and file) accepted.
    pub const MAX_FIELDS: usize = 16;
}

impl FromRequest for Uploaded {
    type Error = DashError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashError>>>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use futures_util::StreamExt as _;
        let req = req.clone();
        let mut form = actix_multipart::Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            check_origin(&req)?;
            let unreadable = |e: actix_multipart::MultipartError| {
                DashError::BadRequest(format!("unreadable upload: {e}"))
            };
            let mut out = Self {
                fields: std::collections::BTreeMap::new(),
                file: None,
            };
            let mut count = 0;
            while let Some(field) = form.next().await {
                let mut field = field.map_err(unreadable)?;
                count += 1;
                if count > Self::MAX_FIELDS {
                    return Err(DashError::BadRequest(format!(
                        "an upload has at most {} fields",
                        Self::MAX_FIELDS
                    )));
                }
                let name = field.name().unwrap_or_default().to_owned();
                let is_file = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .is_some();
                let limit = if is_file { Self::MAX_FILE_BYTES } else { 4096 };
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(unreadable)?;
                    if bytes.len() + chunk.len() > limit {
                        return Err(DashError::BadRequest(format!(
                            "{name} is larger than {} KiB",
                            limit >> 10
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if is_file {
                    if out.file.is_some() {
                        return Err(DashError::BadRequest("send one file".into()));
                    }
                    out.file = Some((name, bytes));
                } else {
                    let text = String::from_utf8(bytes)
                        .map_err(|_| DashError::BadRequest(format!("{name} is not UTF-8 text")))?;
                    out.fields.insert(name, text);
                }
            }
            check_token(&req, out.fields.get("csrf").cloned())?;
            Ok(out)
        })
    }
}
