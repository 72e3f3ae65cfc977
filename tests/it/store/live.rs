//! What the live screens are told changed: other instances' chat changes,
//! and every write to a trader's deposits, withdrawals or KYC case (announced
//! by the database itself, so this instance's own writes are reported too).

use std::collections::BTreeMap;
use std::time::Duration;

use broker_inapp::domain::chat::Author;
use broker_inapp::store::live::Change;
use broker_inapp::store::{CaseRules, DepositRecord, KycWrite, RequestOutcome};
use futures::StreamExt;

use crate::store::backend::{login, Backend};
use crate::store::{chat, kyc, money};

/// The next change a watch reports, or `None` within a few seconds.
async fn next_change(changes: &mut futures::stream::BoxStream<'static, Change>) -> Option<Change> {
    tokio::time::timeout(Duration::from_secs(5), changes.next()).await.ok().flatten()
}

fn rejected(reason: &str) -> broker_inapp::store::DocumentVerdict<'_> {
    broker_inapp::store::DocumentVerdict { accept: false, reason: Some(reason), final_rejection: false, internal_note: None }
}

pub async fn other_instances_chat_changes_are_watched(b: Backend) {
    let chat = b.store.chat.clone();
    let mine = chat.open_conversation(login(8004), 5, None, 1_000, "a").await.unwrap().id;
    let theirs = chat.open_conversation(login(8005), 5, None, 1_000, "b").await.unwrap().id;
    let mut changes = b.store.live.watch("a", Duration::from_millis(50)).await.unwrap();
    // This instance's own write is not reported back to it; another's is.
    chat.add_message(&chat::message(mine, "m1", "mine"), 2_000, "a").await.unwrap();
    chat.add_message(&chat::message(theirs, "t1", "theirs"), 2_000, "b").await.unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Conversation(theirs)));
    chat.typing(mine, Author::Staff, 9_000, 3_000, "b").await.unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Conversation(mine)), "typing, receipts and claims are changes too");
}

/// PostgreSQL only: a watch whose connection is cut says so, since what was
/// announced meanwhile is lost, and then hears changes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_that_lost_its_connection_asks_for_a_resync() {
    let b = crate::store::backend::postgres().await;
    let chat = b.store.chat.clone();
    let id = chat.open_conversation(login(8006), 5, None, 1_000, "b").await.unwrap().id;
    let mut changes = b.store.live.watch("a", Duration::from_millis(50)).await.unwrap();
    let admin = sqlx::PgPool::connect(&b.url).await.unwrap();
    let cut: Vec<bool> =
        sqlx::query_scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")
            .fetch_all(&admin)
            .await
            .unwrap();
    assert_eq!(cut, vec![true], "one listening connection");
    assert_eq!(next_change(&mut changes).await, Some(Change::Resync));
    chat.add_message(&chat::message(id, "after", "after the cut"), 2_000, "b").await.unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Conversation(id)), "listening again");
    b.store.deposits.create_or_get(&money::deposit(8007, "after-the-cut", 3_000)).await.unwrap();
    assert_eq!(next_change(&mut changes).await, Some(Change::Account(login(8007))), "to both channels");
}

pub async fn account_changes_are_watched(b: Backend) {
    let mut changes = b.store.live.watch("a", Duration::from_millis(50)).await.unwrap();
    let heard = |n| Some(Change::Account(login(n)));
    // A deposit created, then moved on: each announces its account.
    let d: DepositRecord = money::deposit(8101, "k", 1_000);
    b.store.deposits.create_or_get(&d).await.unwrap();
    assert_eq!(next_change(&mut changes).await, heard(8101));
    // Noting the provider's payment id changes nothing the trader sees: not
    // announced (the next change heard is another account's).
    b.store.deposits.set_provider_payment(&d.id, "pay_live", 2_000).await.unwrap();
    let access = BTreeMap::new();
    let rules = CaseRules { kyc_type: "standard", needs_details: true, documents: &[], access_rights: &access };
    let written = b.store.kyc.save_details(login(8102), 3, "{}", &rules, 3_000).await.unwrap();
    assert!(matches!(written, KycWrite::Done(_)), "{written:?}");
    assert_eq!(next_change(&mut changes).await, heard(8102), "a KYC case and its audit event: one look");
    b.store.deposits.confirm("evt_live", &d.id, 9_900, 4_000).await.unwrap();
    assert_eq!(next_change(&mut changes).await, heard(8101), "a deposit's new state");
    // A document added, then decided.
    b.store.kyc.add_document(&kyc::document("doc_live", 8102), 3, &rules, None, 5_000).await.unwrap();
    assert_eq!(next_change(&mut changes).await, heard(8102));
    let decided = b.store.kyc.decide_document("doc_live", &rejected("blurry"), "officer", &rules, 6_000).await.unwrap();
    assert!(matches!(decided, KycWrite::Done(_)), "{decided:?}");
    assert_eq!(next_change(&mut changes).await, heard(8102));
    // A withdrawal requested, then cancelled.
    let RequestOutcome::Created(w) = b.store.withdrawals.request(&money::withdrawal("live", 2_500, false), 1_000_000, None).await.unwrap() else {
        panic!("requested")
    };
    assert_eq!(next_change(&mut changes).await, heard(w.login.get()));
    assert!(b.store.withdrawals.cancel(&w.id, w.login, 7_000).await.unwrap());
    assert_eq!(next_change(&mut changes).await, heard(w.login.get()));
    // Nothing else was announced: not the same account twice for one write
    // (the watch reads past its own duplicates on SQLite, and PostgreSQL
    // folds identical NOTIFYs of one transaction).
    let quiet = tokio::time::timeout(Duration::from_millis(500), changes.next()).await;
    assert!(quiet.is_err(), "nothing more: {quiet:?}");
}
