//! Accounts, workspaces, goals and deletion at the store level.

use super::{
    ApiKeyRecord, Batch, GoalKind, SessionAppend, SessionKey, Store, StoreError, UserRecord,
    WorkspaceChoice, record::SessionRecord, tables,
};
use crate::domain::{Decision, Domain, Mechanism, Role, SiteId, Timezone, UserId, WorkspaceId};

fn user(id: UserId) -> UserRecord {
    UserRecord {
        id,
        email_sealed: "00".into(),
        email_index: "11".into(),
        password_hash: "x".into(),
        totp_sealed: None,
        totp_pending_sealed: None,
        recovery_codes: Vec::new(),
        created_ms: 1,
    }
}

#[test]
fn users_join_workspaces_and_emails_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.user_count().unwrap(), 0);
    let (a, ws) = store
        .create_user(
            &[1; 32],
            WorkspaceChoice::New("Acme".into()),
            Role::Owner,
            5,
            user,
        )
        .unwrap();
    assert_eq!(
        store.user_by_email_index(&[1; 32]).unwrap().unwrap().id,
        a.id
    );
    let dup = store.create_user(
        &[1; 32],
        WorkspaceChoice::Existing(ws.id),
        Role::Viewer,
        5,
        user,
    );
    assert!(matches!(dup, Err(StoreError::Conflict(_))));
    let taken = store.create_user(
        &[2; 32],
        WorkspaceChoice::New("acme".into()),
        Role::Owner,
        5,
        user,
    );
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "names are unique ignoring case"
    );
    let (b, _) = store
        .create_user(
            &[2; 32],
            WorkspaceChoice::Existing(ws.id),
            Role::Viewer,
            5,
            user,
        )
        .unwrap();
    let other = store.create_workspace("Other", 6).unwrap();
    store.set_member(other.id, b.id, Role::Admin).unwrap();
    assert_eq!(
        store.members(ws.id).unwrap(),
        vec![(a.id, Role::Owner), (b.id, Role::Viewer)]
    );
    assert_eq!(
        store.memberships(b.id).unwrap(),
        vec![(ws.id, Role::Viewer), (other.id, Role::Admin)]
    );
    assert!(store.change_member(ws.id, b.id, None).unwrap());
    assert_eq!(
        store.memberships(b.id).unwrap(),
        vec![(other.id, Role::Admin)]
    );
    assert_eq!(store.user_count().unwrap(), 2);
}

/// A store with workspace "W" holding a.example and b.example.
fn two_sites() -> (tempfile::TempDir, Store, super::Site, super::Site) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ws = store.create_workspace("W", 0).unwrap().id;
    let add = |d: &str| {
        store
            .add_site(ws, &Domain::parse(d).unwrap(), Timezone::default(), 0)
            .unwrap()
    };
    let (a, b) = (add("a.example"), add("b.example"));
    (dir, store, a, b)
}

#[test]
fn deleting_a_site_removes_its_visits_consent_goals_and_domain_only() {
    let (_dir, store, a, b) = two_sites();
    let visits = [a.id, b.id]
        .iter()
        .enumerate()
        .map(|(i, s)| SessionAppend {
            key: SessionKey {
                site: *s,
                start_ms: 10,
                id: i as u64 + 1,
            },
            day: 0,
            header: Some(SessionRecord::default()),
            events: Vec::new(),
            engagements: Vec::new(),
        })
        .collect();
    store
        .commit_batch(&Batch {
            sessions: visits,
            ..Default::default()
        })
        .unwrap();
    store
        .add_goal(a.id, GoalKind::Event("Signup".into()))
        .unwrap();
    store.add_goal(b.id, GoalKind::Page("/x*".into())).unwrap();
    let entry = |subject: &[u8; 32]| crate::store::ConsentEntry {
        at_ms: 5,
        subject: hex::encode(subject),
        decision: Decision::Accept,
        policy: "1".into(),
        mechanism: Mechanism::Banner,
    };
    for s in [a.id, b.id] {
        let subject = [s.0 as u8; 32];
        store
            .record_consent(s, &subject, &entry(&subject), true)
            .unwrap();
        store
            .record_lead(s, &subject, Some("e".into()), None, 5)
            .unwrap();
    }
    assert!(
        store
            .add_goal(a.id, GoalKind::Event("Signup".into()))
            .is_err()
    );
    store.delete_site(a.id).unwrap();
    let view = store.read().unwrap();
    assert!(view.site_by_domain("a.example").unwrap().is_none());
    assert!(view.site_by_domain("b.example").unwrap().is_some());
    let count = |s: SiteId| {
        let mut n = 0;
        view.for_each_session(s, 0, u64::MAX, |_, _| {
            n += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        n
    };
    assert_eq!((count(a.id), count(b.id)), (0, 1));
    assert!(store.goals(a.id).unwrap().is_empty());
    assert_eq!(store.goals(b.id).unwrap().len(), 1);
    // Every person-data table: nothing of a is left, b is untouched.
    for (s, n) in [(a.id, 0), (b.id, 1)] {
        let subject = [s.0 as u8; 32];
        assert_eq!(store.consent_log(s).unwrap().len(), n);
        assert_eq!(store.has_consent(s, &subject, "1").unwrap(), n == 1);
        assert_eq!(store.lead_identity(s, &subject).unwrap().is_some(), n == 1);
    }
}

#[test]
fn a_schema_1_store_moves_its_sites_and_keys_into_a_default_workspace() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let ws = store.create_workspace("Tmp", 0).unwrap().id;
        store
            .add_site(
                ws,
                &Domain::parse("old.example").unwrap(),
                Timezone::default(),
                7,
            )
            .unwrap();
        store
            .add_api_key(
                "h",
                &ApiKeyRecord {
                    name: "k".into(),
                    prefix: "tp_".into(),
                    created_ms: 1,
                    workspace: ws,
                    conversions: false,
                    sites: false,
                },
            )
            .unwrap();
        // Rewrite the rows as schema 1 wrote them: no workspace anywhere.
        let tx = store.db.begin_write().unwrap();
        {
            tx.delete_table(tables::WORKSPACES).unwrap();
            let mut sites = tx.open_table(tables::SITES).unwrap();
            sites
                .insert(
                    1,
                    br#"{"id":1,"domain":"old.example","timezone":"UTC","created_ms":7}"#
                        .as_slice(),
                )
                .unwrap();
            let mut keys = tx.open_table(tables::API_KEYS).unwrap();
            keys.insert(
                "h",
                br#"{"name":"k","prefix":"tp_","created_ms":1}"#.as_slice(),
            )
            .unwrap();
            tx.open_table(tables::META)
                .unwrap()
                .insert(tables::SCHEMA_VERSION_KEY, 1u64.to_be_bytes().as_slice())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let all = store.workspaces().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Default");
    assert_eq!(store.sites().unwrap()[0].workspace, all[0].id);
    assert_eq!(store.api_key("h").unwrap().unwrap().workspace, all[0].id);
    assert_ne!(all[0].id, WorkspaceId(0));
    let tx = store.db.begin_read().unwrap();
    let v = tx
        .open_table(tables::META)
        .unwrap()
        .get(tables::SCHEMA_VERSION_KEY)
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert_eq!(v, super::SCHEMA_VERSION.to_be_bytes());
}

#[test]
fn a_new_timezone_voids_the_sites_rollups_only() {
    let (_dir, store, mut a, b) = two_sites();
    for s in [a.id, b.id] {
        assert!(
            store
                .put_rollup_day(s, 100, &[(0, 0, super::RollupSums::default())], &[], 0, 1)
                .unwrap()
        );
    }
    let rolled = |s: SiteId| store.read().unwrap().rolled_days(s, 0, 1000).unwrap().len();
    a.allowed_hostnames = vec!["a.example".into()];
    store.update_site(&a).unwrap();
    assert_eq!(
        (rolled(a.id), rolled(b.id)),
        (1, 1),
        "same zone: rollups stay"
    );
    a.timezone = Timezone::parse("Asia/Tokyo").unwrap();
    store.update_site(&a).unwrap();
    assert_eq!((rolled(a.id), rolled(b.id)), (0, 1));
    let mut moved = a.clone();
    moved.workspace = WorkspaceId(99);
    assert!(
        store.update_site(&moved).is_err(),
        "a site can't change workspace"
    );
}

#[test]
fn update_user_writes_only_what_the_change_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (u, _) = store
        .create_user(
            &[3; 32],
            WorkspaceChoice::New("W".into()),
            Role::Viewer,
            1,
            user,
        )
        .unwrap();
    let strike = |code: &'static str| {
        move |r: &mut UserRecord| {
            let before = r.recovery_codes.len();
            r.recovery_codes.retain(|c| c != code);
            r.recovery_codes.len() < before
        }
    };
    store
        .update_user(u.id, |r| {
            r.recovery_codes = vec!["a".into(), "b".into()];
            true
        })
        .unwrap();
    assert!(store.update_user(u.id, strike("a")).unwrap());
    assert!(!store.update_user(u.id, strike("a")).unwrap(), "spent once");
    assert_eq!(
        store.user(u.id).unwrap().unwrap().recovery_codes,
        vec!["b".to_owned()]
    );
    assert!(
        !store.update_user(UserId(99), |_| true).unwrap(),
        "no such user"
    );
}

#[test]
fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (a, ws) = store
        .create_user(
            &[4; 32],
            WorkspaceChoice::New("W".into()),
            Role::Owner,
            1,
            user,
        )
        .unwrap();
    let (b, _) = store
        .create_user(
            &[5; 32],
            WorkspaceChoice::Existing(ws.id),
            Role::Owner,
            1,
            user,
        )
        .unwrap();
    assert!(store.change_member(ws.id, a.id, Some(Role::Admin)).unwrap());
    for change in [Some(Role::Viewer), None] {
        assert!(matches!(
            store.change_member(ws.id, b.id, change),
            Err(StoreError::Conflict(_))
        ));
    }
    assert_eq!(
        store.members(ws.id).unwrap(),
        vec![(a.id, Role::Admin), (b.id, Role::Owner)]
    );
    assert!(!store.change_member(ws.id, UserId(99), None).unwrap());
}
