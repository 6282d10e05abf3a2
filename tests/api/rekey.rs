//! Rotating the master key with the real binary: after `touchpoint rekey`
//! every sealed value (account emails, TOTP secrets, passkeys, invitation
//! emails, audit details, salts) opens with the new key only, the old key opens nothing, and
//! an interrupted rekey finishes when run again. Also the master key from
//! `TOUCHPOINT__PRIVACY__MASTER_KEY`, and a clear error for a wrong key.

use std::{path::Path, sync::Arc};

use base64::Engine;
use touchpoint::{
    auth::Auth,
    domain::{Email, Role},
    privacy::{Keys, Master, Purpose, aad, rekey},
    store::{AuditEntry, SealedTable, Store, Stored, WorkspaceChoice},
};

use crate::{
    helpers::{CHROME, TestApp, spawn_app, test_settings},
    passkeys::{client, enrol},
    process::{cmd, run_ok},
    soft_passkey::SoftPasskey,
};

/// Users with TOTP or a passkey, an invitation, audit entries and a salt.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.pageview("/", CHROME, "203.0.113.1").await;
    let (mut owner, _) = app.member("owner@acme.test", Role::Owner, app.acme()).await;
    let ws = format!("/workspaces/{}", app.acme().0);
    owner.get(&ws).await;
    let (status, _, _) = owner
        .post(
            &format!("{ws}/members"),
            &[("email", "invitee@acme.test"), ("role", "viewer")],
        )
        .await;
    assert_eq!(status, 303, "an invitation was made");
    let user = app.user(
        "pk@acme.test",
        Role::Analyst,
        WorkspaceChoice::Existing(app.acme()),
    );
    let mut c = client(&app, &user).await;
    enrol(&app, &mut c, &mut SoftPasskey::new(), "Laptop").await;
    app
}

/// Every sealed value in the store opens with `keys` (true) or none does (false).
fn all_open(store: &Store, keys: &Keys) -> (usize, usize) {
    let (mut opened, mut total) = (0, 0);
    for t in SealedTable::ALL {
        let purpose = if t == SealedTable::Salts {
            Purpose::Salt
        } else {
            Purpose::Data
        };
        store
            .reseal(
                t,
                &mut |aads, stored| {
                    total += 1;
                    if let Stored::Sealed(sealed) = stored
                        && aads
                            .iter()
                            .any(|a| keys.open_for(purpose, a, sealed).is_ok())
                    {
                        opened += 1;
                    }
                    Ok(None)
                },
                &mut || {},
            )
            .unwrap();
    }
    (opened, total)
}

fn master_of(path: &Path) -> Master {
    Master::load_or_create(path).unwrap()
}

#[tokio::test]
async fn after_a_rekey_everything_opens_with_the_new_key_only() {
    let app = seeded().await;
    let dir = app.stop().await;
    let key_file = dir.path().join("touchpoint.key");
    let old = std::fs::read(&key_file).unwrap();
    let old_master = master_of(&key_file);
    {
        let store = Store::open(dir.path()).unwrap();
        let (keys, _) = Keys::unlock(&old_master, store.keyring().unwrap().as_deref()).unwrap();
        let (opened, total) = all_open(&store, &keys);
        assert!(
            total >= 8,
            "users, TOTP, a passkey's name and credential, invitation, audit entries, a salt: {total}"
        );
        assert_eq!(opened, total);
    }

    let out = run_ok(dir.path(), &["rekey"]);
    assert!(
        out.contains("rekeyed:") && out.contains("the old key opens nothing"),
        "{out}"
    );
    let new = std::fs::read(&key_file).unwrap();
    assert_ne!(old, new, "the key file holds the new key");
    assert!(!dir.path().join("touchpoint.key.new").exists());

    let store = Store::open(dir.path()).unwrap();
    let ring = store.keyring().unwrap();
    let (keys, _) = Keys::unlock(&master_of(&key_file), ring.as_deref()).unwrap();
    let (opened, total) = all_open(&store, &keys);
    assert_eq!(opened, total, "everything opens with the new key");
    assert!(
        Keys::unlock(&old_master, ring.as_deref()).is_err(),
        "the old master can't open the ring"
    );
    // Not even the old master's first-ring keys, derived directly, open anything.
    let derived = Keys::from_master(&hex::decode(&old).unwrap().try_into().unwrap());
    assert_eq!(all_open(&store, &derived).0, 0, "the old keys open nothing");

    // The application works on: accounts, audit details.
    let settings = test_settings(dir.path(), &[]);
    let auth = Auth::new(store.clone(), Arc::new(keys), settings.auth).unwrap();
    let log = store
        .audit_log(touchpoint::domain::WorkspaceId(1), 50)
        .unwrap();
    assert!(!log.is_empty());
    assert!(log.iter().all(|e| auth.audit_detail(e) != "(unreadable)"));
    let pk = auth
        .user_by_email(&Email::parse("pk@acme.test").unwrap())
        .unwrap()
        .unwrap();
    let names: Vec<String> = auth
        .passkeys(pk.id)
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Laptop"]);
    drop(auth);
    drop(store);
    // And the server starts with it (it opens the stored salts on start).
    let (mut child, url) = crate::process::serve(dir.path());
    assert!(url.starts_with("http://"));
    child.kill().ok();
    child.wait().ok();
}

#[tokio::test]
async fn an_interrupted_rekey_finishes_when_run_again() {
    let app = seeded().await;
    let dir = app.stop().await;
    let key_file = dir.path().join("touchpoint.key");
    let next = dir.path().join("next.key");
    let new_master = master_of(&next);
    {
        // As if a rekey stopped right after switching the ring to the new master.
        let store = Store::open(dir.path()).unwrap();
        let (old, _) =
            Keys::unlock(&master_of(&key_file), store.keyring().unwrap().as_deref()).unwrap();
        store
            .set_keyring(&old.rotated().seal_ring(&new_master))
            .unwrap();
    }
    // The server refuses the old key with a clear message.
    let out = cmd(dir.path()).arg("serve").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("master key does not match"), "{err}");

    let out = run_ok(
        dir.path(),
        &["rekey", "--new-key-file", next.to_str().unwrap()],
    );
    assert!(
        out.contains("(resumed)") && out.contains("next.key"),
        "{out}"
    );
    let store = Store::open(dir.path()).unwrap();
    let (keys, _) = Keys::unlock(&new_master, store.keyring().unwrap().as_deref()).unwrap();
    assert_eq!(keys.retiring(), 0, "old keys retired");
    let (opened, total) = all_open(&store, &keys);
    assert_eq!(opened, total);
    // Only current keys' values are left.
    store
        .reseal(
            SealedTable::Users,
            &mut |_, stored| {
                assert!(matches!(stored, Stored::Sealed(b) if keys.is_current(Purpose::Data, b)));
                Ok(None)
            },
            &mut || {},
        )
        .unwrap();
}

#[tokio::test]
async fn the_master_key_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let settings = test_settings(dir.path(), &[("TOUCHPOINT__PRIVACY__MASTER_KEY", &b64)]);
    let store = Store::open(dir.path()).unwrap();
    let keys = rekey::open_keys(&settings, &store).unwrap();
    assert!(
        !dir.path().join("touchpoint.key").exists(),
        "no key file made"
    );
    let sealed = keys.seal(&aad::user_email(1), b"x@example.com");
    let again = rekey::open_keys(&settings, &store).unwrap();
    assert_eq!(
        again.open(&aad::user_email(1), &sealed).unwrap(),
        b"x@example.com"
    );
    // check-config never prints it.
    let out = cmd(dir.path())
        .env("TOUCHPOINT__PRIVACY__MASTER_KEY", &b64)
        .arg("check-config")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(&b64) && text.contains("(set, not shown)"),
        "{text}"
    );
    // Another key for the same store: refused.
    drop(store);
    let other = base64::engine::general_purpose::STANDARD.encode([43u8; 32]);
    let out = cmd(dir.path())
        .env("TOUCHPOINT__PRIVACY__MASTER_KEY", &other)
        .args(["purge", "--dry-run"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("master key does not match"));
}

#[tokio::test]
async fn values_an_earlier_version_kept_plain_are_sealed_and_rekeyed() {
    let app = seeded().await;
    let dir = app.stop().await;
    {
        // As an earlier version wrote them: a plain audit detail and a bare salt.
        let store = Store::open(dir.path()).unwrap();
        store
            .append_audit(
                &[touchpoint::domain::WorkspaceId(1)],
                &AuditEntry {
                    at_ms: 5,
                    actor: None,
                    action: "member_added".into(),
                    detail: "old.plain@agency.test joined".into(),
                },
            )
            .unwrap();
        store.put_salt(19_000, &[7u8; 32]).unwrap();
    }
    let out = run_ok(dir.path(), &["rekey"]);
    assert!(out.contains("rekeyed:"), "{out}");
    let key_file = dir.path().join("touchpoint.key");
    let store = Store::open(dir.path()).unwrap();
    let (keys, _) =
        Keys::unlock(&master_of(&key_file), store.keyring().unwrap().as_deref()).unwrap();
    let (opened, total) = all_open(&store, &keys);
    assert_eq!(opened, total, "nothing plain is left");
    let settings = test_settings(dir.path(), &[]);
    let auth = Auth::new(store.clone(), Arc::new(keys), settings.auth).unwrap();
    let log = store
        .audit_log(touchpoint::domain::WorkspaceId(1), 100)
        .unwrap();
    let old = log.iter().find(|e| e.at_ms == 5).unwrap();
    assert_eq!(auth.audit_detail(old), "old.plain@agency.test joined");
    drop(auth);
    drop(store);
    let bytes = std::fs::read(dir.path().join(touchpoint::store::FILE_NAME)).unwrap();
    let needle = b"old.plain@agency.test";
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "sealed at rest"
    );
}
