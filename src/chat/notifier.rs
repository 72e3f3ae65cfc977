//! Who must hear that a conversation changed. Listeners (the open live
//! streams) subscribe here; writers publish the conversation id. The data
//! itself is always re-read from the database, so a signal only says "look".
//!
//! [`LocalNotifier`] fans out inside this process. Other instances learn of
//! changes through the database's change log ([`spawn_watcher`]), so nothing
//! a second instance needs lives only in this process's memory; a
//! PostgreSQL LISTEN/NOTIFY notifier can implement the same trait later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::store::Store;

/// What a listener follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// One conversation (the trader's screen, an agent's open conversation).
    Conversation(i64),
    /// Every conversation (the staff inbox and its unread counts).
    Inbox,
}

pub trait ChatNotifier: Send + Sync {
    /// Wakes the conversation's listeners and, with `inbox`, the inboxes
    /// (only what changes an inbox row: messages, staff reads, claims).
    fn publish(&self, conversation_id: i64, inbox: bool);
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

impl ChatNotifier for LocalNotifier {
    fn publish(&self, conversation_id: i64, inbox: bool) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        self.send(&mut topics, Topic::Conversation(conversation_id), conversation_id);
        if inbox {
            self.send(&mut topics, Topic::Inbox, conversation_id);
        }
    }

    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<i64> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        // A listener that falls behind gets `Lagged` and simply re-reads.
        topics.entry(topic).or_insert_with(|| broadcast::channel(16).0).subscribe()
    }
}

/// Polls the database's change log for changes made by other instances and
/// publishes them here. One query per interval per process, whatever the
/// number of open streams.
pub fn spawn_watcher(store: Store, notifier: Arc<dyn ChatNotifier>, origin: String, every: Duration) {
    tokio::spawn(async move {
        let mut cursor = match store.chat.last_change().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "chat change log unreadable; starting from the beginning");
                0
            }
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Read until caught up, so a burst never leaves this instance behind.
            let mut seen = std::collections::HashSet::new();
            loop {
                match store.chat.changes_after(cursor, &origin).await {
                    Ok((next, conversations)) => {
                        // A batch holds at most 1000 rows, so fewer ids than that means the end.
                        let caught_up = next - cursor < 1000;
                        cursor = next;
                        seen.extend(conversations);
                        if caught_up {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the chat change log failed");
                        break;
                    }
                }
            }
            // Another instance's change: which topics it touched is not
            // recorded, so both hear it.
            for id in seen {
                notifier.publish(id, true);
            }
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

    #[test]
    fn channels_without_listeners_are_dropped() {
        let n = LocalNotifier::default();
        drop(n.subscribe(Topic::Conversation(7)));
        n.publish(7, true);
        assert!(!n.topics.lock().unwrap().contains_key(&Topic::Conversation(7)));
    }
}
