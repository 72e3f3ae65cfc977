//! Support chat storage, ported from ../sqlite/chat.rs.
//!
//! A message locks its conversation row first, so concurrent senders (here
//! or on another instance) take turns: seqs stay gapless and a resend finds
//! its first copy. Each write announces itself with a NOTIFY in its own
//! transaction (see [`changed`]), heard by every instance's watch.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

use super::PgStore;
use crate::domain::chat::{Author, ChatAttachment, ChatMessage};
use crate::domain::Login;
use crate::store::chat::{AttachmentRecord, ConversationRecord, InboxTab, NewMessage, Stored};
use crate::store::{ChatStore, StoreError, UploadQuota};

type Tx = Transaction<'static, Postgres>;

const CONVERSATION: &str = "SELECT c.*, s.email AS assignee_email FROM chat_conversations c LEFT JOIN staff s ON s.id = c.assignee_id";

const MESSAGE: &str = "SELECT m.seq, m.client_id, m.author, m.body, m.created_at, s.email AS staff_email, \
     a.id AS a_id, a.file_name AS a_name, a.kind AS a_kind, a.size AS a_size \
     FROM chat_messages m LEFT JOIN staff s ON s.id = m.staff_id LEFT JOIN chat_attachments a ON a.id = m.attachment_id";

fn conversation(r: &PgRow) -> Result<ConversationRecord, sqlx::Error> {
    Ok(ConversationRecord {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        user_id: r.try_get("user_id")?,
        trader_name: r.try_get("trader_name")?,
        closed: r.try_get("closed")?,
        assignee_id: r.try_get("assignee_id")?,
        assignee_email: r.try_get("assignee_email")?,
        last_seq: r.try_get("last_seq")?,
        trader_delivered_seq: r.try_get("trader_delivered_seq")?,
        trader_read_seq: r.try_get("trader_read_seq")?,
        staff_delivered_seq: r.try_get("staff_delivered_seq")?,
        staff_read_seq: r.try_get("staff_read_seq")?,
        trader_typing_until: r.try_get("trader_typing_until")?,
        staff_typing_until: r.try_get("staff_typing_until")?,
        unread_by_staff: r.try_get("unread_by_staff")?,
        last_message_at: r.try_get("last_message_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn message(r: &PgRow) -> Result<ChatMessage, sqlx::Error> {
    let author: String = r.try_get("author")?;
    let attachment = match r.try_get::<Option<String>, _>("a_id")? {
        Some(id) => Some(ChatAttachment { id, file_name: r.try_get("a_name")?, kind: r.try_get("a_kind")?, size: r.try_get("a_size")? }),
        None => None,
    };
    Ok(ChatMessage {
        seq: r.try_get("seq")?,
        client_id: r.try_get("client_id")?,
        author: Author::parse(&author).unwrap_or(Author::Trader),
        author_name: r.try_get::<Option<String>, _>("staff_email")?.as_deref().map(crate::store::chat::agent_name),
        body: r.try_get("body")?,
        attachment,
        at_ms: r.try_get("created_at")?,
    })
}

/// Announces a change to the other instances. A NOTIFY sent in a transaction
/// is delivered when it commits, in commit order, and never if it rolls back:
/// no log to keep in order (a log's ids become visible out of order under
/// concurrent writers, so a reader could skip one for good).
async fn changed(tx: &mut Tx, conversation_id: i64, _now: i64, origin: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(super::live::CHAT_CHANNEL).bind(format!("{conversation_id} {origin}")).execute(&mut **tx).await?;
    Ok(())
}

/// Locks the conversation row until the transaction ends (SQLite's write
/// lock made this implicit); `false` when there is no such conversation.
/// `NO KEY UPDATE`, the lock an `UPDATE` takes: attachments uploaded
/// meanwhile (their foreign key's share lock) need not wait for it.
async fn lock_conversation(tx: &mut Tx, conversation_id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 FROM chat_conversations WHERE id = $1 FOR NO KEY UPDATE").bind(conversation_id).fetch_optional(&mut **tx).await?.is_some())
}

async fn find_by_client_id(tx: &mut Tx, conversation_id: i64, author: Author, client_id: &str) -> Result<Option<ChatMessage>, sqlx::Error> {
    let sql = format!("{MESSAGE} WHERE m.conversation_id = $1 AND m.author = $2 AND m.client_id = $3");
    let row = sqlx::query(&sql).bind(conversation_id).bind(author.as_str()).bind(client_id).fetch_optional(&mut **tx).await?;
    row.as_ref().map(message).transpose()
}

impl PgStore {
    /// One guarded `UPDATE` of the conversation (its row lock and re-check
    /// are the statement's own), logged as a change when it changed a row.
    async fn simple_update(
        &self,
        q: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
        conversation_id: i64,
        now: i64,
        origin: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = q.execute(&mut *tx).await?;
        let changed_any = done.rows_affected() > 0;
        if changed_any {
            changed(&mut tx, conversation_id, now, origin).await?;
        }
        tx.commit().await?;
        Ok(changed_any)
    }
}

#[async_trait]
impl ChatStore for PgStore {
    async fn open_conversation(
        &self,
        login: Login,
        user_id: i64,
        trader_name: Option<&str>,
        now: i64,
        _origin: &str,
    ) -> Result<ConversationRecord, StoreError> {
        let existing = sqlx::query(&format!("{CONVERSATION} WHERE c.login = $1")).bind(login).fetch_optional(&self.pool).await?;
        if let Some(row) = existing {
            let c = conversation(&row)?;
            if trader_name.is_some() && c.trader_name.as_deref() != trader_name {
                sqlx::query("UPDATE chat_conversations SET trader_name = $1 WHERE id = $2").bind(trader_name).bind(c.id).execute(&self.pool).await?;
            }
            return Ok(c);
        }
        // Opened at once (here or elsewhere): one insert wins, the other
        // waits for it, does nothing, and reads the winner's row.
        sqlx::query(
            "INSERT INTO chat_conversations (login, user_id, trader_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (login) DO NOTHING",
        )
        .bind(login)
        .bind(user_id)
        .bind(trader_name)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!("{CONVERSATION} WHERE c.login = $1")).bind(login).fetch_one(&self.pool).await?;
        Ok(conversation(&row)?)
    }

    async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError> {
        let row = sqlx::query(&format!("{CONVERSATION} WHERE c.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(conversation).transpose()?)
    }

    async fn messages_after(&self, conversation_id: i64, after: i64, limit: i64) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!("{MESSAGE} WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3");
        let rows = sqlx::query(&sql).bind(conversation_id).bind(after).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(message).collect::<Result<_, _>>()?)
    }

    async fn latest_messages(&self, conversation_id: i64, limit: i64) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!("{MESSAGE} WHERE m.conversation_id = $1 ORDER BY m.seq DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(conversation_id).bind(limit).fetch_all(&self.pool).await?;
        let mut out = rows.iter().map(message).collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    async fn add_message(&self, m: &NewMessage<'_>, now: i64, origin: &str) -> Result<Stored, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The conversation's lock first: concurrent senders take turns, so
        // seqs are gapless, the rate limit counts what the others stored,
        // and a resend (READ COMMITTED: each statement below sees what
        // committed before the lock was granted) finds its first copy. A
        // missing conversation goes on as under SQLite (the UPDATE fails).
        lock_conversation(&mut tx, m.conversation_id).await?;
        if let Some(found) = find_by_client_id(&mut tx, m.conversation_id, m.author, m.client_id).await? {
            return Ok(Stored::Duplicate(found));
        }
        if let Some((since, max)) = m.rate_limit {
            let recent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_messages WHERE conversation_id = $1 AND author = $2 AND created_at > $3")
                .bind(m.conversation_id)
                .bind(m.author.as_str())
                .bind(since)
                .fetch_one(&mut *tx)
                .await?;
            if recent >= max {
                return Ok(Stored::RateLimited);
            }
        }
        if let Some(a) = m.attachment_id {
            // FOR SHARE: the purge of unsent attachments skips it from now
            // on, instead of deleting it under this message's reference.
            let ok: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM chat_attachments a WHERE a.id = $1 AND a.conversation_id = $2 AND a.author = $3 \
                 AND NOT EXISTS (SELECT 1 FROM chat_messages WHERE attachment_id = a.id) FOR SHARE OF a",
            )
            .bind(a)
            .bind(m.conversation_id)
            .bind(m.author.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if ok.is_none() {
                return Ok(Stored::BadAttachment);
            }
        }
        let from_trader = m.author == Author::Trader;
        let seq: i64 = sqlx::query_scalar(
            "UPDATE chat_conversations SET last_seq = last_seq + 1, closed = FALSE, updated_at = $1, last_message_at = $1, \
             unread_by_staff = unread_by_staff + CASE WHEN $2 THEN 1 ELSE 0 END, \
             assignee_id = COALESCE(assignee_id, $3), \
             trader_typing_until = CASE WHEN $2 THEN 0 ELSE trader_typing_until END, \
             staff_typing_until = CASE WHEN $2 THEN staff_typing_until ELSE 0 END \
             WHERE id = $4 RETURNING last_seq",
        )
        .bind(now)
        .bind(from_trader)
        .bind(m.staff_id)
        .bind(m.conversation_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO chat_messages (conversation_id, seq, author, staff_id, client_id, body, attachment_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(m.conversation_id)
        .bind(seq)
        .bind(m.author.as_str())
        .bind(m.staff_id)
        .bind(m.client_id)
        .bind(m.body)
        .bind(m.attachment_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        changed(&mut tx, m.conversation_id, now, origin).await?;
        let stored = find_by_client_id(&mut tx, m.conversation_id, m.author, m.client_id).await?;
        tx.commit().await?;
        stored.map(Stored::New).ok_or_else(|| StoreError::Database("message vanished after insert".into()))
    }

    async fn attachments_since(&self, conversation_id: i64, author: Author, since: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM chat_attachments WHERE conversation_id = $1 AND author = $2 AND created_at > $3")
            .bind(conversation_id)
            .bind(author.as_str())
            .bind(since)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn mark(&self, conversation_id: i64, reader: Author, delivered: Option<i64>, read: Option<i64>, now: i64, origin: &str) -> Result<(), StoreError> {
        let (d, r) = match reader {
            Author::Trader => ("trader_delivered_seq", "trader_read_seq"),
            Author::Staff => ("staff_delivered_seq", "staff_read_seq"),
        };
        let read = read.unwrap_or(0);
        // Reading implies receiving.
        let delivered = delivered.unwrap_or(0).max(read);
        let unread = if reader == Author::Staff {
            ", unread_by_staff = (SELECT COUNT(*) FROM chat_messages m WHERE m.conversation_id = c.id AND m.author = 'trader' \
               AND m.seq > GREATEST(c.staff_read_seq, LEAST($2, c.last_seq)))"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE chat_conversations AS c SET {d} = GREATEST({d}, LEAST($1, last_seq)), {r} = GREATEST({r}, LEAST($2, last_seq)){unread} \
             WHERE id = $3 AND ({d} < LEAST($1, last_seq) OR {r} < LEAST($2, last_seq))"
        );
        let mut tx = self.pool.begin().await?;
        if reader == Author::Staff {
            // The unread count is a subquery: had this UPDATE waited on a
            // sender's lock, it would recount with its older snapshot and
            // miss the new message. Locked first, the UPDATE's own snapshot
            // holds every message up to last_seq.
            lock_conversation(&mut tx, conversation_id).await?;
        }
        let done = sqlx::query(&sql).bind(delivered).bind(read).bind(conversation_id).execute(&mut *tx).await?;
        if done.rows_affected() > 0 {
            changed(&mut tx, conversation_id, now, origin).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn typing(&self, conversation_id: i64, who: Author, until: i64, now: i64, origin: &str) -> Result<(), StoreError> {
        let sql = match who {
            Author::Trader => "UPDATE chat_conversations SET trader_typing_until = $1 WHERE id = $2",
            Author::Staff => "UPDATE chat_conversations SET staff_typing_until = $1 WHERE id = $2",
        };
        self.simple_update(sqlx::query(sql).bind(until).bind(conversation_id), conversation_id, now, origin).await?;
        Ok(())
    }

    async fn assign(&self, conversation_id: i64, staff_id: i64, expected: Option<i64>, now: i64, origin: &str) -> Result<bool, StoreError> {
        // Guarded: of concurrent claims only the one that still finds `expected` lands.
        let q = sqlx::query("UPDATE chat_conversations SET assignee_id = $1, updated_at = $2 WHERE id = $3 AND assignee_id IS NOT DISTINCT FROM $4")
            .bind(staff_id)
            .bind(now)
            .bind(conversation_id)
            .bind(expected);
        self.simple_update(q, conversation_id, now, origin).await
    }

    async fn set_closed(&self, conversation_id: i64, closed: bool, now: i64, origin: &str) -> Result<(), StoreError> {
        let q = sqlx::query("UPDATE chat_conversations SET closed = $1, updated_at = $2 WHERE id = $3").bind(closed).bind(now).bind(conversation_id);
        self.simple_update(q, conversation_id, now, origin).await?;
        Ok(())
    }

    async fn inbox(&self, tab: InboxTab, limit: i64) -> Result<Vec<ConversationRecord>, StoreError> {
        let order = "ORDER BY c.unread_by_staff > 0 DESC, c.updated_at DESC, c.id";
        let rows = match tab {
            InboxTab::Unassigned => {
                let sql = format!("{CONVERSATION} WHERE NOT c.closed AND c.assignee_id IS NULL AND c.last_seq > 0 {order} LIMIT $1");
                sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?
            }
            InboxTab::Mine(id) => {
                let sql = format!("{CONVERSATION} WHERE NOT c.closed AND c.assignee_id = $1 {order} LIMIT $2");
                sqlx::query(&sql).bind(id).bind(limit).fetch_all(&self.pool).await?
            }
            InboxTab::Closed => {
                let sql = format!("{CONVERSATION} WHERE c.closed {order} LIMIT $1");
                sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?
            }
        };
        Ok(rows.iter().map(conversation).collect::<Result<_, _>>()?)
    }

    async fn unread_counts(&self, staff_id: i64) -> Result<(i64, i64), StoreError> {
        // SUM(bigint) is NUMERIC in PostgreSQL: cast back.
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN assignee_id IS NULL THEN unread_by_staff END), 0)::BIGINT AS unassigned, \
             COALESCE(SUM(CASE WHEN assignee_id = $1 THEN unread_by_staff END), 0)::BIGINT AS mine \
             FROM chat_conversations WHERE NOT closed",
        )
        .bind(staff_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("unassigned")?, row.try_get("mine")?))
    }

    async fn add_attachment(&self, a: &AttachmentRecord, quota: Option<&UploadQuota>, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(q) = quota {
            let login: Option<Login> =
                sqlx::query_scalar("SELECT login FROM chat_conversations WHERE id = $1").bind(a.conversation_id).fetch_optional(&mut *tx).await?;
            let Some(login) = login else { return Err(StoreError::Database("no such conversation".into())) };
            if !super::kyc::within_quota(&mut tx, login, q, a.attachment.size).await? {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO chat_attachments (id, conversation_id, author, file_name, kind, size, has_preview, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.attachment.id)
        .bind(a.conversation_id)
        .bind(a.author.as_str())
        .bind(&a.attachment.file_name)
        .bind(a.attachment.kind)
        .bind(a.attachment.size)
        .bind(a.has_preview)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn attachment(&self, id: &str) -> Result<Option<AttachmentRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM chat_attachments WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        let Some(r) = row else { return Ok(None) };
        let author: String = r.try_get("author")?;
        Ok(Some(AttachmentRecord {
            attachment: ChatAttachment { id: r.try_get("id")?, file_name: r.try_get("file_name")?, kind: r.try_get("kind")?, size: r.try_get("size")? },
            conversation_id: r.try_get("conversation_id")?,
            author: Author::parse(&author).unwrap_or(Author::Trader),
            has_preview: r.try_get("has_preview")?,
        }))
    }

    async fn purge_unsent_attachments(&self, older_than: i64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two statements: the candidates are locked first, skipping any a
        // message being sent holds; the DELETE's fresh snapshot then sees
        // every message that committed before the locks, and none can start
        // referring to a locked attachment until this commits.
        let candidates: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM chat_attachments a WHERE created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.attachment_id = a.id) FOR UPDATE OF a SKIP LOCKED",
        )
        .bind(older_than)
        .fetch_all(&mut *tx)
        .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = sqlx::query_scalar(
            "DELETE FROM chat_attachments a WHERE a.id = ANY($1) \
             AND NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.attachment_id = a.id) RETURNING a.id",
        )
        .bind(&candidates)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids)
    }
}
