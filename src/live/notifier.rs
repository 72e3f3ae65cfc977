//! Who must hear that something changed. Listeners (the open live streams)
//! subscribe to a topic; writers, and the watcher, publish to it. The data
//! itself is always re-read from the database, so a signal only says "look".
//!
//! [`LocalNotifier`] fans out inside this process. Other instances' chat
//! changes and every account change arrive through the store
//! ([`spawn_watcher`] over `LiveStore::watch`: change logs on SQLite,
//! LISTEN/NOTIFY on PostgreSQL), so nothing a second instance needs lives
//! only in this process's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use futures::StreamExt;

use crate::domain::Login;
use crate::store::live::Change;
use crate::store::Store;

/// What a listener follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// One conversation (the trader's screen, an agent's open conversation).
    Conversation(i64),
    /// Every conversation (the staff inbox and its unread counts).
    Inbox,
    /// One trader account's deposits, withdrawals and KYC case, by login.
    Account(Login),
}

pub trait Notifier: Send + Sync {
    /// Wakes the conversation's listeners and, with `inbox`, the inboxes
    /// (only what changes an inbox row: messages, staff reads, claims).
    fn publish(&self, conversation_id: i64, inbox: bool);
    /// Wakes every listener (changes may have been missed): each re-reads
    /// from where it is, so nothing is lost, only looked at twice.
    fn wake_all(&self);
    /// Wakes the screens of the account `login`.
    fn account_changed(&self, login: Login);
    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<i64>;
}

/// Per-topic broadcast channels, created on first subscription and dropped
/// once nobody listens, so a message wakes only its conversation's listeners.
#[derive(Default)]
pub struct LocalNotifier {
    topics: Mutex<HashMap<Topic, broadcast::Sender<i64>>>,
}

impl LocalNotifier {
    fn send(&self, topics: &mut HashMap<Topic, broadcast::Sender<i64>>, topic: Topic, id: i64) {
        if let Some(tx) = topics.get(&topic) {
            if tx.send(id).is_err() {
                topics.remove(&topic);
            }
        }
    }
}

impl Notifier for LocalNotifier {
    fn publish(&self, conversation_id: i64, inbox: bool) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        self.send(&mut topics, Topic::Conversation(conversation_id), conversation_id);
        if inbox {
            self.send(&mut topics, Topic::Inbox, conversation_id);
        }
    }

    fn wake_all(&self) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let all: Vec<Topic> = topics.keys().copied().collect();
        for topic in all {
            let id = match topic {
                Topic::Conversation(id) => id,
                Topic::Account(login) => login.get(),
                Topic::Inbox => 0,
            };
            self.send(&mut topics, topic, id);
        }
    }

    fn account_changed(&self, login: Login) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        self.send(&mut topics, Topic::Account(login), login.get());
    }

    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<i64> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        // Channels whose listeners all left go here: a topic that never
        // changes again (a trader who closed the screen) is not kept for the
        // life of the process.
        topics.retain(|_, tx| tx.receiver_count() > 0);
        // A listener that falls behind gets `Lagged` and simply re-reads.
        topics.entry(topic).or_insert_with(|| broadcast::channel(16).0).subscribe()
    }
}

/// Publishes here what the database reports (`LiveStore::watch`): other
/// instances' chat changes, and every account change (this instance's too:
/// the database announces those, whichever write made them). If the watch
/// cannot start or ends, it is started again after a pause, and once it
/// listens every listener is woken: what changed meanwhile is unknown.
pub fn spawn_watcher(store: Store, notifier: Arc<dyn Notifier>, origin: String, every: Duration) {
    tokio::spawn(async move {
        loop {
            match store.live.watch(&origin, every).await {
                Ok(mut changes) => {
                    // Listening (again): what changed before is unknown.
                    notifier.wake_all();
                    while let Some(change) = changes.next().await {
                        match change {
                            // Which topics another instance touched is not
                            // announced, so the inboxes hear it too.
                            Change::Conversation(id) => notifier.publish(id, true),
                            Change::Account(login) => notifier.account_changed(login),
                            Change::Resync => notifier.wake_all(),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "watching the database for changes failed; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_conversation_and_the_inbox_hear_a_change() {
        let n = LocalNotifier::default();
        let mut one = n.subscribe(Topic::Conversation(1));
        let mut two = n.subscribe(Topic::Conversation(2));
        let mut inbox = n.subscribe(Topic::Inbox);
        n.publish(1, true);
        assert_eq!(one.recv().await.unwrap(), 1);
        assert_eq!(inbox.recv().await.unwrap(), 1);
        assert!(two.try_recv().is_err());
        n.publish(1, false);
        assert_eq!(one.recv().await.unwrap(), 1);
        assert!(inbox.try_recv().is_err(), "typing and trader receipts do not wake inboxes");
    }

    #[tokio::test]
    async fn an_account_change_reaches_only_that_account() {
        let n = LocalNotifier::default();
        let login = |n| Login::new(n).unwrap();
        let (mut mine, mut theirs, mut chat) =
            (n.subscribe(Topic::Account(login(700))), n.subscribe(Topic::Account(login(701))), n.subscribe(Topic::Conversation(700)));
        n.account_changed(login(700));
        assert_eq!(mine.recv().await.unwrap(), 700);
        assert!(theirs.try_recv().is_err());
        assert!(chat.try_recv().is_err(), "a conversation id is not a login");
    }

    #[tokio::test]
    async fn waking_all_reaches_every_listener() {
        let n = LocalNotifier::default();
        let (mut one, mut two, mut inbox) = (n.subscribe(Topic::Conversation(1)), n.subscribe(Topic::Conversation(2)), n.subscribe(Topic::Inbox));
        let mut account = n.subscribe(Topic::Account(Login::new(700).unwrap()));
        n.wake_all();
        assert_eq!((one.recv().await.unwrap(), two.recv().await.unwrap()), (1, 2));
        assert!(inbox.recv().await.is_ok());
        assert_eq!(account.recv().await.unwrap(), 700);
    }

    #[test]
    fn channels_without_listeners_are_dropped() {
        let n = LocalNotifier::default();
        drop(n.subscribe(Topic::Conversation(7)));
        n.publish(7, true);
        assert!(!n.topics.lock().unwrap().contains_key(&Topic::Conversation(7)));
        // One that is never published to again goes with the next subscription.
        drop(n.subscribe(Topic::Account(Login::new(700).unwrap())));
        let _listening = n.subscribe(Topic::Inbox);
        assert_eq!(n.topics.lock().unwrap().keys().copied().collect::<Vec<_>>(), vec![Topic::Inbox]);
    }
}
