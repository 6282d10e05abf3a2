//! Invitation emails, sealed at rest under the invitation's token hash (so
//! a sealed email copied to another invitation does not open).

use super::Auth;
use crate::{domain::Email, privacy::aad, store::Invite};

impl Auth {
    /// Seals an invitee's email for the invitation stored under
    /// `token_hash_hex` (the SHA-256 of its token, hex); hex of the sealed bytes.
    #[must_use]
    pub fn seal_invite_email(&self, token_hash_hex: &str, email: &Email) -> String {
        hex::encode(self.keys.seal(
            &aad::invite_email(token_hash_hex),
            email.as_str().as_bytes(),
        ))
    }

    /// An invitation's email, opened (also from before the associated data
    /// named the table); `None` when it doesn't open (wrong key, tampering).
    #[must_use]
    pub fn invite_email(&self, token_hash_hex: &str, invite: &Invite) -> Option<String> {
        let sealed = hex::decode(&invite.email_sealed).ok()?;
        self.keys
            .open(&aad::invite_email(token_hash_hex), &sealed)
            .or_else(|_| {
                self.keys
                    .open(&aad::invite_email_legacy(token_hash_hex), &sealed)
            })
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    }
}
