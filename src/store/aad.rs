//! Associated data of every sealed field, defined once: sealing, opening and
//! re-sealing (`touchpoint rekey`) must agree on it. Each names the table and
//! the record, so a sealed value copied to another record does not open.

/// An account's email.
#[must_use]
pub fn user_email(id: u32) -> Vec<u8> {
    format!("user:{id}:email").into_bytes()
}

/// An account's TOTP secret.
#[must_use]
pub fn user_totp(id: u32) -> Vec<u8> {
    format!("user:{id}:totp").into_bytes()
}

/// A TOTP secret offered for enrolment, not yet confirmed.
#[must_use]
pub fn user_totp_pending(id: u32) -> Vec<u8> {
    format!("user:{id}:totp_pending").into_bytes()
}

/// The name of a passkey (the record is the user and the SHA-256 of the
/// credential id, hex).
#[must_use]
pub fn passkey_name(user: u32, key_hex: &str) -> Vec<u8> {
    format!("passkeys_v1:{user}:{key_hex}:name").into_bytes()
}

/// A passkey's credential (public key and counter), same record as its name.
#[must_use]
pub fn passkey_credential(user: u32, key_hex: &str) -> Vec<u8> {
    format!("passkeys_v1:{user}:{key_hex}:credential").into_bytes()
}

/// An invitation's email (the record is the invitation's token hash, hex).
#[must_use]
pub fn invite_email(token_hash_hex: &str) -> Vec<u8> {
    format!("invites_v1:{token_hash_hex}").into_bytes()
}

/// Invitation emails sealed before the table was named: the bare token hash.
#[must_use]
pub fn invite_email_legacy(token_hash_hex: &str) -> Vec<u8> {
    token_hash_hex.as_bytes().to_vec()
}

/// An audit entry's details (bound to the entry's time and action).
#[must_use]
pub fn audit_detail(at_ms: u64, action: &str) -> Vec<u8> {
    format!("audit_v1:{at_ms}:{action}").into_bytes()
}

/// Audit details sealed before they were bound to their entry.
pub const AUDIT_DETAIL_LEGACY: &[u8] = b"audit-detail";

/// The visitor-hash salt of a UTC day.
#[must_use]
pub fn salt(day: u32) -> Vec<u8> {
    format!("salts_v1:{day}").into_bytes()
}

/// A lead's email, when it arrived in plain text (the record is the lead id, hex).
#[must_use]
pub fn lead_email(lead_hex: &str) -> Vec<u8> {
    format!("leads_v1:{lead_hex}:email").into_bytes()
}

/// A report recipient's address (the record is the site and the recipient's id).
#[must_use]
pub fn mail_recipient(site: u32, id: u32) -> Vec<u8> {
    format!("mail_v1:{site}:{id}").into_bytes()
}

/// A lead's name, attached by a site admin (the record is the lead id, hex).
#[must_use]
pub fn lead_name(lead_hex: &str) -> Vec<u8> {
    format!("leads_v1:{lead_hex}:name").into_bytes()
}

/// A site's Stripe webhook signing secret.
#[must_use]
pub fn site_stripe_secret(site_id: u32) -> Vec<u8> {
    format!("sites_v1:{site_id}:stripe").into_bytes()
}

/// A webhook endpoint's signing secret (made at `created_ms`).
#[must_use]
pub fn webhook_secret(site_id: u32, endpoint: u32, created_ms: u64) -> Vec<u8> {
    format!("webhooks_v1:{site_id}:{endpoint}:{created_ms}").into_bytes()
}

/// A webhook message's body (by its `msg_…` id).
#[must_use]
pub fn webhook_body(message_id: &str) -> Vec<u8> {
    format!("webhook_messages_v1:{message_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sealed values stay bound to these bytes: changing one makes every
    /// value sealed with it unreadable.
    #[test]
    fn associated_data_is_pinned() {
        let got: Vec<Vec<u8>> = vec![
            user_email(7),
            user_totp(7),
            user_totp_pending(7),
            invite_email("ab"),
            invite_email_legacy("ab"),
            audit_detail(5, "login"),
            AUDIT_DETAIL_LEGACY.to_vec(),
            salt(20_000),
            lead_email("0f"),
            lead_name("0f"),
            site_stripe_secret(3),
        ];
        let want: [&[u8]; 11] = [
            b"user:7:email",
            b"user:7:totp",
            b"user:7:totp_pending",
            b"invites_v1:ab",
            b"ab",
            b"audit_v1:5:login",
            b"audit-detail",
            b"salts_v1:20000",
            b"leads_v1:0f:email",
            b"leads_v1:0f:name",
            b"sites_v1:3:stripe",
        ];
        assert_eq!(got, want);
    }
}
