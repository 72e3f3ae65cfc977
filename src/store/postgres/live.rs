//! Changes announced with NOTIFY: chat writes send theirs in their own
//! transaction (`chat::changed`), and the triggers of migration 0002 send one
//! for every write to a trader's deposits, withdrawals or KYC case. A NOTIFY
//! is delivered when its transaction commits, in commit order, and never if
//! it rolls back; identical ones in one transaction arrive once.

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use sqlx::postgres::PgListener;

use super::PgStore;
use crate::domain::Login;
use crate::store::live::{Change, LiveStore};
use crate::store::StoreError;

/// Chat changes: `"<conversation id> <origin>"`.
pub(super) const CHAT_CHANNEL: &str = "inapp_chat";
/// Account changes: `"<login>"` (see the migration's `inapp_account_changed`).
const ACCOUNT_CHANNEL: &str = "inapp_account";

fn parse_notice(channel: &str, payload: &str, origin: &str) -> Option<Option<Change>> {
    if channel == ACCOUNT_CHANNEL {
        return Some(Some(Change::Account(Login::new(payload.parse().ok()?)?)));
    }
    let (id, from) = payload.split_once(' ')?;
    let id = id.parse().ok()?;
    Some((from != origin).then_some(Change::Conversation(id)))
}

#[async_trait]
impl LiveStore for PgStore {
    async fn watch(&self, origin: &str, _poll_every: std::time::Duration) -> Result<BoxStream<'static, Change>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen_all([CHAT_CHANNEL, ACCOUNT_CHANNEL]).await?;
        let origin = origin.to_string();
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let change = match listener.try_recv().await {
                    Ok(Some(n)) => match parse_notice(n.channel(), n.payload(), &origin) {
                        Some(Some(change)) => change,
                        Some(None) => continue,
                        None => {
                            tracing::warn!(channel = n.channel(), payload = n.payload(), "unreadable change notice");
                            continue;
                        }
                    },
                    // The connection was lost, and sqlx has connected and
                    // listened again already. Whatever was sent meanwhile is gone.
                    Ok(None) => Change::Resync,
                    // Anything else (connecting again failed, or an error sqlx
                    // does not take for a lost connection, which would keep
                    // the dead one): this watch ends. The watcher starts a new
                    // one with a new connection and wakes every stream once
                    // that one listens, so nothing sent meanwhile is missed.
                    Err(e) => {
                        tracing::warn!(error = %e, "change notices: listening failed; starting again");
                        return;
                    }
                };
                if tx.send(change).await.is_err() {
                    return;
                }
            }
        });
        Ok(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|change| (change, rx)) }).boxed())
    }

    async fn purge_changes(&self, _older_than: i64) -> Result<u64, StoreError> {
        // Notices are not stored: there is no log to trim.
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_read_by_channel_and_own_chat_changes_skipped() {
        assert_eq!(parse_notice(ACCOUNT_CHANNEL, "700123", "a"), Some(Some(Change::Account(Login::new(700123).unwrap()))));
        assert_eq!(parse_notice(CHAT_CHANNEL, "5 b", "a"), Some(Some(Change::Conversation(5))));
        assert_eq!(parse_notice(CHAT_CHANNEL, "5 a", "a"), Some(None));
        assert_eq!(parse_notice(CHAT_CHANNEL, "x a", "a"), None);
        assert_eq!(parse_notice(ACCOUNT_CHANNEL, "", "a"), None);
        assert_eq!(parse_notice(ACCOUNT_CHANNEL, "0", "a"), None);
    }
}
