//! What admins attached to leads (a name, an email; sealed in the lead's
//! row) in the privacy page's actions: an export shows it in clear, and a
//! rectification that moves a lead to a new id seals its name again under
//! that id (the store drops it, being unable to re-seal). Erasure needs
//! nothing here: it deletes the lead's row.

use serde_json::Value;

use crate::{
    privacy::{
        Keys, aad,
        ids::{email_digest, lead_email_index},
        subject,
    },
    store::{Lead, PersonData, PersonKeys, Site, Store, StoreError},
};

fn open(keys: &Keys, sealed: Option<&str>, aad: &[u8]) -> Option<String> {
    let bytes = hex::decode(sealed?).ok()?;
    String::from_utf8(keys.open(aad, &bytes).ok()?).ok()
}

/// The name attached to a lead, in clear.
fn name(keys: &Keys, l: &Lead) -> Option<String> {
    open(keys, l.name_sealed.as_deref(), &aad::lead_name(&l.id))
}

/// Adds each lead's attached name and sealed email, in clear, to the
/// export's `leads` (matched by `lead_id`).
pub(super) fn add_to_export(doc: &mut Value, data: &PersonData, keys: &Keys) {
    let Some(leads) = doc.get_mut("leads").and_then(Value::as_array_mut) else {
        return;
    };
    for out in leads {
        let Some(l) = data
            .leads
            .iter()
            .find(|l| out.get("lead_id").and_then(Value::as_str) == Some(l.id.as_str()))
        else {
            continue;
        };
        if let Some(n) = name(keys, l) {
            out["name"] = Value::String(n);
        }
        let email = open(keys, l.email_sealed.as_deref(), &aad::lead_email(&l.id));
        if let Some(e) = email {
            out["email"] = Value::String(e);
        }
    }
}

/// [`subject::rectify`], then the name attached to the person's leads
/// sealed again under the lead id a new email gives them. Returns the lead
/// identities changed.
///
/// # Errors
/// Storage errors.
pub(super) fn rectify_keeping_name(
    store: &Store,
    keys: &Keys,
    site: &Site,
    who: &PersonKeys,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<u64, StoreError> {
    let mut kept = None;
    for id in &who.leads {
        if let Some(l) = store.lead(site.id, id)? {
            kept = kept.or_else(|| name(keys, &l));
        }
    }
    let n = subject::rectify(store, keys, site, who, email, phone)?;
    let new_id = email
        .map(|e| lead_email_index(keys, &email_digest(e)))
        .and_then(|h| Some((<[u8; 32]>::try_from(hex::decode(&h).ok()?).ok()?, h)));
    if let (Some(name), Some((id, hex_id))) = (kept, new_id) {
        let sealed = hex::encode(keys.seal(&aad::lead_name(&hex_id), name.as_bytes()));
        store.attach_to_lead(site.id, &id, Some(sealed), None)?;
    }
    Ok(n)
}
