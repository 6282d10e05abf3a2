//! The outbox's promises against late writes (see `webhook_outbox.rs`).

use std::collections::HashSet;

use super::*;
use crate::store::changes::{self, Change};
use crate::{domain::webhook::WebhookEvent, store::webhooks::Endpoint};

fn message(id: &str, lead: &str, now: u64) -> WebhookMessage {
    WebhookMessage {
        id: id.into(),
        event: WebhookEvent::LeadCreated,
        lead: lead.into(),
        created_ms: now,
        body_sealed: String::new(),
        state: MessageState::Pending,
        next_ms: Some(now),
        attempts: Vec::new(),
        tries: 0,
    }
}

/// What the dispatcher read earlier can't bring back what an erasure
/// or an admin removed meanwhile, and a replay racing an attempt can't
/// leave a message due forever.
#[test]
fn late_writes_never_resurrect_messages_or_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let site = SiteId(1);
    // A change dropped (erased) before it is handed on makes no message.
    let tx = store.db.begin_write().unwrap();
    let change = |lead: &str| Change {
        site: 1,
        event: WebhookEvent::LeadCreated,
        at_ms: 1,
        lead: lead.into(),
        conversion: None,
    };
    changes::record(&tx, &change("aa")).unwrap();
    changes::record(&tx, &change("bb")).unwrap();
    tx.commit().unwrap();
    let read = store.changes(10).unwrap();
    let tx = store.db.begin_write().unwrap();
    changes::forget_lead(&tx, site, "aa").unwrap();
    tx.commit().unwrap();
    let msgs: Vec<_> = read
        .iter()
        .map(|(seq, c)| {
            (
                *seq,
                site,
                7,
                message(&format!("msg_{}", c.lead), &c.lead, 5),
            )
        })
        .collect();
    store
        .hand_on_changes(&read.iter().map(|(s, _)| *s).collect::<Vec<_>>(), &msgs)
        .unwrap();
    let due = store
        .due_webhook_messages(10, 100, &HashSet::new())
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].2.lead, "bb");
    let (key, at, mut m) = due[0].clone();
    // Erased while an attempt is in flight: the attempt's save writes nothing.
    let tx = store.db.begin_write().unwrap();
    forget_lead(&tx, site, "bb").unwrap();
    tx.commit().unwrap();
    m.next_ms = Some(99);
    assert!(!store.save_webhook_message(key, Some(at), &m).unwrap());
    assert!(store.webhook_message(key).unwrap().is_none());
    assert!(
        store
            .due_webhook_messages(1000, 100, &HashSet::new())
            .unwrap()
            .is_empty()
    );

    // A deleted endpoint isn't brought back by the dispatcher's update.
    let e = store
        .add_webhook(
            site,
            Endpoint {
                id: 0,
                url: "https://crm.example.com/".into(),
                events: vec![WebhookEvent::LeadCreated],
                secrets: Vec::new(),
                disabled: None,
                failing_since_ms: None,
                last_failure_ms: None,
                created_ms: 0,
            },
        )
        .unwrap();
    assert!(store.delete_webhook(site, e.id).unwrap());
    let back = store
        .update_webhook(site, e.id, |e| e.failing_since_ms = Some(1))
        .unwrap();
    assert!(back.is_none());
    assert!(store.webhooks(Some(site)).unwrap().is_empty());

    // Replays: a pending message can't be queued twice; a stale index
    // entry is dropped, not delivered.
    let seq_msg = message("msg_r", "cc", 5);
    let tx = store.db.begin_write().unwrap();
    put_message(&tx, (1, 7, 500), None, &seq_msg).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        store.replay_webhook_message((1, 7, 500), 6).unwrap(),
        Some(false)
    );
    let mut done = seq_msg.clone();
    done.state = MessageState::Delivered;
    done.next_ms = None;
    store
        .save_webhook_message((1, 7, 500), Some(5), &done)
        .unwrap();
    assert_eq!(
        store.replay_webhook_message((1, 7, 500), 8).unwrap(),
        Some(true)
    );
    // Index an extra, stale entry as a racing replay would have.
    let tx = store.db.begin_write().unwrap();
    tx.open_table(WEBHOOK_DUE)
        .unwrap()
        .insert((7, 1, 7, 500), ())
        .unwrap();
    tx.commit().unwrap();
    let due = store
        .due_webhook_messages(1000, 100, &HashSet::new())
        .unwrap();
    assert_eq!(
        due.len(),
        1,
        "only the entry matching the message's own due time"
    );
    assert_eq!(due[0].1, 8);
    assert_eq!(store.replay_webhook_message((1, 7, 999), 9).unwrap(), None);
}
