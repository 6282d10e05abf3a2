//! Accounts and their protections: users, argon2id passwords, server-side
//! login sessions, TOTP and passkeys, login throttling, API keys and the
//! audit log. HTTP lives in `dashboard`; this module is the rules.

mod accounts;
mod ceremonies;
mod enrolment;
pub mod flash;
mod invites;
mod passkey_login;
mod passkeys;
pub mod password;
pub mod ratelimit;
mod second_factor;
mod sessions;
pub mod totp;

pub use accounts::{Auth, AuthError, LoginFailure, check_workspace_name};
pub use ceremonies::CEREMONY_MS;
pub use enrolment::Enrolment;
pub use passkeys::{Answer, MAX_NAME_CHARS, PasskeyEntry, PasskeyError, RelyingParty};
pub use sessions::{CurrentLogin, SESSION_COOKIE, public_id};
