//! Support chat: one conversation per account, numbered messages, resends.

use broker_inapp::domain::chat::Author;
use broker_inapp::store::chat::{NewMessage, Stored};

use crate::store::backend::{all_at_once, login, Backend};

pub async fn a_conversation_is_opened_once(b: Backend) {
    let chat = b.store.chat.clone();
    let opened = all_at_once(8, |_| {
        let chat = chat.clone();
        async move { chat.open_conversation(login(8001), 5, Some("Ada"), 1_000, "instance-a").await.unwrap() }
    })
    .await;
    assert!(opened.iter().all(|c| c.id == opened[0].id), "one conversation: {:?}", opened.iter().map(|c| c.id).collect::<Vec<_>>());
    let c = chat.conversation(opened[0].id).await.unwrap().unwrap();
    assert_eq!((c.login, c.trader_name.as_deref(), c.closed, c.last_seq), (login(8001), Some("Ada"), false, 0));
}

pub(super) fn message<'a>(conversation_id: i64, client_id: &'a str, body: &'a str) -> NewMessage<'a> {
    NewMessage { conversation_id, author: Author::Trader, staff_id: None, client_id, body, attachment_id: None, rate_limit: None }
}

pub async fn messages_get_consecutive_numbers(b: Backend) {
    let chat = b.store.chat.clone();
    let id = chat.open_conversation(login(8002), 5, None, 1_000, "a").await.unwrap().id;
    let stored = all_at_once(16, |i| {
        let chat = chat.clone();
        async move {
            let (client, body) = (format!("c{i}"), format!("message {i}"));
            chat.add_message(&message(id, &client, &body), 2_000 + i as i64, "a").await.unwrap()
        }
    })
    .await;
    let mut seqs: Vec<i64> = stored
        .iter()
        .map(|s| match s {
            Stored::New(m) => m.seq,
            other => panic!("{other:?}"),
        })
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=16).collect::<Vec<_>>(), "one number each, none skipped");
    let listed = chat.messages_after(id, 0, 100).await.unwrap();
    assert_eq!(listed.iter().map(|m| m.seq).collect::<Vec<_>>(), (1..=16).collect::<Vec<_>>(), "oldest first");
    assert_eq!(chat.latest_messages(id, 3).await.unwrap().iter().map(|m| m.seq).collect::<Vec<_>>(), vec![14, 15, 16]);
    let c = chat.conversation(id).await.unwrap().unwrap();
    assert_eq!((c.last_seq, c.unread_by_staff), (16, 16));
}

pub async fn a_resent_message_is_stored_once(b: Backend) {
    let chat = b.store.chat.clone();
    let id = chat.open_conversation(login(8003), 5, None, 1_000, "a").await.unwrap().id;
    // A flaky connection resends one message from several requests at once.
    let stored = all_at_once(8, |_| {
        let chat = chat.clone();
        async move { chat.add_message(&message(id, "same", "hello"), 2_000, "a").await.unwrap() }
    })
    .await;
    assert_eq!(stored.iter().filter(|s| matches!(s, Stored::New(_))).count(), 1, "{stored:?}");
    assert!(stored.iter().all(|s| matches!(s, Stored::New(m) | Stored::Duplicate(m) if m.seq == 1 && m.body == "hello")), "{stored:?}");
    assert_eq!(chat.messages_after(id, 0, 10).await.unwrap().len(), 1);
    let limited = NewMessage { rate_limit: Some((0, 1)), ..message(id, "next", "again") };
    assert_eq!(chat.add_message(&limited, 3_000, "a").await.unwrap(), Stored::RateLimited, "one message since 0 already");
}
