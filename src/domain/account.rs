//! People and tenancy: user and workspace ids, roles, emails.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A user's numeric id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub u32);

/// A workspace's numeric id. Sites and API keys belong to exactly one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct WorkspaceId(pub u32);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a member of a workspace may do. Ordered: each role can do everything
/// the roles below it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Aggregate reports only, never personal data.
    Viewer,
    /// Every report, including lead details.
    Analyst,
    /// Sites, settings and API keys.
    Admin,
    /// Everything, including members, the audit log and deletion.
    Owner,
}

impl Role {
    /// Every role, highest first (for pickers).
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Analyst, Role::Viewer];

    /// Parses a role name.
    ///
    /// # Errors
    /// A message listing the roles.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "analyst" => Ok(Self::Analyst),
            "viewer" => Ok(Self::Viewer),
            other => Err(format!(
                "unknown role {other:?}: expected owner, admin, analyst or viewer"
            )),
        }
    }

    /// The role's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Viewer => "viewer",
        }
    }

    /// May manage members, read the audit log and delete things.
    #[must_use]
    pub fn is_owner(self) -> bool {
        self == Self::Owner
    }

    /// May change sites, settings, goals and API keys.
    #[must_use]
    pub fn can_manage(self) -> bool {
        self >= Self::Admin
    }

    /// May see personal data (lead details).
    #[must_use]
    pub fn can_see_pii(self) -> bool {
        self >= Self::Analyst
    }

    /// Must use two-factor authentication when the instance requires it for admins.
    #[must_use]
    pub fn needs_mfa(self) -> bool {
        self >= Self::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An email address, trimmed and lower-cased so one person has one login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("email is required".into());
        }
        if s.len() > Self::MAX_LEN {
            return Err("email is longer than 254 characters".into());
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(format!("{s:?} is not an email address (no @)"));
        };
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!("{s:?} is not an email address"));
        }
        Ok(Self(s))
    }

    /// The address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Analyst);
        assert!(Role::Analyst > Role::Viewer);
        assert!(Role::Admin.can_manage() && !Role::Analyst.can_manage());
        assert!(Role::Analyst.can_see_pii() && !Role::Viewer.can_see_pii());
        assert!(Role::Owner.is_owner() && !Role::Admin.is_owner());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").unwrap_err().contains("root"));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@c.de",
            "a@b@c.de",
            "a@.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parsed_emails_reparse_to_themselves(s in "\\PC{0,80}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
