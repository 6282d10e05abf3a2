//! `POST /sites/{domain}/privacy/rectify` (owners and admins): a
//! rectification request, from the privacy page's lookup. The person's kept
//! email and/or phone are replaced (as keyed indexes, like everything else);
//! a name attached to their lead follows it to its new id.

use actix_web::{HttpResponse, http::StatusCode, web};

use super::{
    privacy::{ConsentFilter, PersonInput, parse_who, plain, render, site_for, with_person},
    requests::complete,
};
use crate::{
    dashboard::{
        DashError,
        views::words::count,
        web::{Member, Posted},
    },
    privacy::subject::Identifier,
    store::RequestKind,
};

/// `POST /sites/{domain}/privacy/rectify`: replaces the person's kept email
/// and/or phone (as keyed indexes, like everything else).
pub(super) async fn rectify(
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<PersonInput>,
) -> Result<HttpResponse, DashError> {
    let site = site_for(&m, &domain)?;
    let filter = ConsentFilter::default();
    let who = parse_who(&f).map_err(DashError::BadRequest)?;
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let (email, phone) = (given(&f.new_email), given(&f.new_phone));
    let checked = email
        .as_deref()
        .map(|e| Identifier::parse("email", e))
        .transpose()
        .and_then(|_| {
            phone
                .as_deref()
                .map(|p| Identifier::parse("phone", p))
                .transpose()
        });
    if let Err(e) = checked.and_then(|_| {
        if email.is_none() && phone.is_none() {
            Err("enter the corrected email or phone".to_owned())
        } else {
            Ok(())
        }
    }) {
        let mut o = plain(StatusCode::BAD_REQUEST);
        o.error = Some(&e);
        return render(&m, &site, &filter, o);
    }
    let st = m.state();
    let n = with_person(&m, &site, &who, move |store, keys, site, k| {
        super::attached::rectify_keeping_name(
            store,
            keys,
            site,
            k,
            email.as_deref(),
            phone.as_deref(),
        )
    })
    .await?;
    let rows = [(crate::store::PersonTable::Identities, n)]
        .into_iter()
        .collect();
    let r = complete(
        &m,
        &site,
        RequestKind::Rectification,
        &who,
        &f.request,
        &rows,
    )?;
    st.auth.audit(
        &[site.workspace],
        Some(m.user.login.user.id),
        "subject_rectification",
        &format!(
            "{}: request #{} ({}), {} corrected",
            site.domain,
            r.id,
            who.kind(),
            count(n, "lead record", "lead records")
        ),
        st.clock.now_ms(),
    )?;
    let notice = format!(
        "Corrected {} (request #{}).",
        count(n, "lead record", "lead records"),
        r.id
    );
    let mut o = plain(StatusCode::OK);
    o.notice = Some(&notice);
    render(&m, &site, &filter, o)
}
