use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{write_tx, SqliteStore};
use crate::domain::chat::{Author, ChatAttachment, ChatMessage};
use crate::domain::Login;
use crate::store::chat::{AttachmentRecord, ConversationRecord, InboxTab, NewMessage, Stored};
use crate::store::{ChatStore, StoreError, UploadQuota};

const CONVERSATION: &str = "SELECT c.*, s.email AS assignee_email FROM chat_conversations c LEFT JOIN staff s ON s.id = c.assignee_id";

const MESSAGE: &str = "SELECT m.seq, m.client_id, m.author, m.body, m.created_at, s.email AS staff_email, \
     a.id AS a_id, a.file_name AS a_name, a.kind AS a_kind, a.size AS a_size \
     FROM chat_messages m LEFT JOIN staff s ON s.id = m.staff_id LEFT JOIN chat_attachments a ON a.id = m.attachment_id";

fn conversation(r: &SqliteRow) -> Result<ConversationRecord, sqlx::Error> {
    Ok(ConversationRecord {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        user_id: r.try_get("user_id")?,
        trader_name: r.try_get("trader_name")?,
        closed: r.try_get::<i64, _>("closed")? != 0,
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

fn message(r: &SqliteRow) -> Result<ChatMessage, sqlx::Error> {
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

async fn changed(tx: &mut Transaction<'static, Sqlite>, conversation_id: i64, now: i64, origin: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO chat_changes (conversation_id, origin, at) VALUES (?,?,?)")
        .bind(conversation_id)
        .bind(origin)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn find_by_client_id(
    tx: &mut Transaction<'static, Sqlite>,
    conversation_id: i64,
    author: Author,
    client_id: &str,
) -> Result<Option<ChatMessage>, sqlx::Error> {
    let sql = format!("{MESSAGE} WHERE m.conversation_id = ? AND m.author = ? AND m.client_id = ?");
    let row = sqlx::query(&sql).bind(conversation_id).bind(author.as_str()).bind(client_id).fetch_optional(&mut **tx).await?;
    row.as_ref().map(message).transpose()
}

impl SqliteStore {
    async fn simple_update(&self, sql: &str, binds: &[i64], conversation_id: i64, now: i64, origin: &str) -> Result<(), StoreError> {
        let mut tx = write_tx(&self.pool).await?;
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        let done = q.execute(&mut *tx).await?;
        if done.rows_affected() > 0 {
            changed(&mut tx, conversation_id, now, origin).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn open_conversation(
        &self,
        login: Login,
        user_id: i64,
        trader_name: Option<&str>,
        now: i64,
        _origin: &str,
    ) -> Result<ConversationRecord, StoreError> {
        let existing = sqlx::query(&format!("{CONVERSATION} WHERE c.login = ?")).bind(login).fetch_optional(&self.pool).await?;
        if let Some(row) = existing {
            let c = conversation(&row)?;
            if trader_name.is_some() && c.trader_name.as_deref() != trader_name {
                sqlx::query("UPDATE chat_conversations SET trader_name = ? WHERE id = ?").bind(trader_name).bind(c.id).execute(&self.pool).await?;
            }
            return Ok(c);
        }
        sqlx::query("INSERT INTO chat_conversations (login, user_id, trader_name, created_at, updated_at) VALUES (?,?,?,?,?) ON CONFLICT (login) DO NOTHING")
            .bind(login)
            .bind(user_id)
            .bind(trader_name)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(&format!("{CONVERSATION} WHERE c.login = ?")).bind(login).fetch_one(&self.pool).await?;
        Ok(conversation(&row)?)
    }

    async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError> {
        let row = sqlx::query(&format!("{CONVERSATION} WHERE c.id = ?")).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(conversation).transpose()?)
    }

    async fn messages_after(&self, conversation_id: i64, after: i64, limit: i64) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!("{MESSAGE} WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?");
        let rows = sqlx::query(&sql).bind(conversation_id).bind(after).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(message).collect::<Result<_, _>>()?)
    }

    async fn latest_messages(&self, conversation_id: i64, limit: i64) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!("{MESSAGE} WHERE m.conversation_id = ? ORDER BY m.seq DESC LIMIT ?");
        let rows = sqlx::query(&sql).bind(conversation_id).bind(limit).fetch_all(&self.pool).await?;
        let mut out = rows.iter().map(message).collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    async fn add_message(&self, m: &NewMessage<'_>, now: i64, origin: &str) -> Result<Stored, StoreError> {
        // The write lock first (BEGIN IMMEDIATE): concurrent senders take
        // turns, so seqs are gapless and a resend finds its first copy.
        let mut tx = write_tx(&self.pool).await?;
        if let Some(found) = find_by_client_id(&mut tx, m.conversation_id, m.author, m.client_id).await? {
            return Ok(Stored::Duplicate(found));
        }
        if let Some((since, max)) = m.rate_limit {
            let recent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_messages WHERE conversation_id = ? AND author = ? AND created_at > ?")
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
            let ok: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM chat_attachments a WHERE a.id = ? AND a.conversation_id = ? AND a.author = ? \
                 AND NOT EXISTS (SELECT 1 FROM chat_messages WHERE attachment_id = a.id)",
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
        let from_trader = (m.author == Author::Trader) as i64;
        let seq: i64 = sqlx::query_scalar(
            "UPDATE chat_conversations SET last_seq = last_seq + 1, closed = 0, updated_at = ?, last_message_at = ?, \
             unread_by_staff = unread_by_staff + ?, \
             assignee_id = COALESCE(assignee_id, ?), \
             trader_typing_until = CASE WHEN ? = 1 THEN 0 ELSE trader_typing_until END, \
             staff_typing_until = CASE WHEN ? = 0 THEN 0 ELSE staff_typing_until END \
             WHERE id = ? RETURNING last_seq",
        )
        .bind(now)
        .bind(now)
        .bind(from_trader)
        .bind(m.staff_id)
        .bind(from_trader)
        .bind(from_trader)
        .bind(m.conversation_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO chat_messages (conversation_id, seq, author, staff_id, client_id, body, attachment_id, created_at) VALUES (?,?,?,?,?,?,?,?)")
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
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM chat_attachments WHERE conversation_id = ? AND author = ? AND created_at > ?")
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
            ", unread_by_staff = (SELECT COUNT(*) FROM chat_messages m WHERE m.conversation_id = c.id AND m.author = 'trader' AND m.seq > MAX(c.staff_read_seq, MIN(?3, c.last_seq)))"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE chat_conversations AS c SET {d} = MAX({d}, MIN(?1, last_seq)), {r} = MAX({r}, MIN(?2, last_seq)){unread} \
             WHERE id = ?4 AND ({d} < MIN(?1, last_seq) OR {r} < MIN(?2, last_seq))"
        );
        let mut tx = write_tx(&self.pool).await?;
        let done = sqlx::query(&sql).bind(delivered).bind(read).bind(read).bind(conversation_id).execute(&mut *tx).await?;
        if done.rows_affected() > 0 {
            changed(&mut tx, conversation_id, now, origin).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn typing(&self, conversation_id: i64, who: Author, until: i64, now: i64, origin: &str) -> Result<(), StoreError> {
        let sql = match who {
            Author::Trader => "UPDATE chat_conversations SET trader_typing_until = ? WHERE id = ?",
            Author::Staff => "UPDATE chat_conversations SET staff_typing_until = ? WHERE id = ?",
        };
        self.simple_update(sql, &[until, conversation_id], conversation_id, now, origin).await
    }

    async fn assign(&self, conversation_id: i64, staff_id: i64, expected: Option<i64>, now: i64, origin: &str) -> Result<bool, StoreError> {
        let mut tx = write_tx(&self.pool).await?;
        let done = sqlx::query("UPDATE chat_conversations SET assignee_id = ?, updated_at = ? WHERE id = ? AND assignee_id IS ?")
            .bind(staff_id)
            .bind(now)
            .bind(conversation_id)
            .bind(expected)
            .execute(&mut *tx)
            .await?;
        let won = done.rows_affected() > 0;
        if won {
            changed(&mut tx, conversation_id, now, origin).await?;
        }
        tx.commit().await?;
        Ok(won)
    }

    async fn set_closed(&self, conversation_id: i64, closed: bool, now: i64, origin: &str) -> Result<(), StoreError> {
        self.simple_update(
            "UPDATE chat_conversations SET closed = ?, updated_at = ? WHERE id = ?",
            &[closed as i64, now, conversation_id],
            conversation_id,
            now,
            origin,
        )
        .await
    }

    async fn inbox(&self, tab: InboxTab, limit: i64) -> Result<Vec<ConversationRecord>, StoreError> {
        let (filter, staff) = match tab {
            InboxTab::Unassigned => ("c.closed = 0 AND c.assignee_id IS NULL AND c.last_seq > 0", 0),
            InboxTab::Mine(id) => ("c.closed = 0 AND c.assignee_id = ?", id),
            InboxTab::Closed => ("c.closed = 1", 0),
        };
        let sql = format!("{CONVERSATION} WHERE {filter} ORDER BY c.unread_by_staff > 0 DESC, c.updated_at DESC, c.id LIMIT ?");
        let mut q = sqlx::query(&sql);
        if let InboxTab::Mine(_) = tab {
            q = q.bind(staff);
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(conversation).collect::<Result<_, _>>()?)
    }

    async fn unread_counts(&self, staff_id: i64) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN assignee_id IS NULL THEN unread_by_staff END), 0) AS unassigned, \
             COALESCE(SUM(CASE WHEN assignee_id = ? THEN unread_by_staff END), 0) AS mine \
             FROM chat_conversations WHERE closed = 0",
        )
        .bind(staff_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("unassigned")?, row.try_get("mine")?))
    }

    async fn add_attachment(&self, a: &AttachmentRecord, quota: Option<&UploadQuota>, now: i64) -> Result<bool, StoreError> {
        let mut tx = write_tx(&self.pool).await?;
        if let Some(q) = quota {
            let login: Option<Login> =
                sqlx::query_scalar("SELECT login FROM chat_conversations WHERE id = ?").bind(a.conversation_id).fetch_optional(&mut *tx).await?;
            let Some(login) = login else { return Err(StoreError::Database("no such conversation".into())) };
            if !super::kyc::within_quota(&mut tx, login, q, a.attachment.size).await? {
                return Ok(false);
            }
        }
        sqlx::query("INSERT INTO chat_attachments (id, conversation_id, author, file_name, kind, size, has_preview, created_at) VALUES (?,?,?,?,?,?,?,?)")
            .bind(&a.attachment.id)
            .bind(a.conversation_id)
            .bind(a.author.as_str())
            .bind(&a.attachment.file_name)
            .bind(a.attachment.kind)
            .bind(a.attachment.size)
            .bind(a.has_preview as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn attachment(&self, id: &str) -> Result<Option<AttachmentRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM chat_attachments WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        let Some(r) = row else { return Ok(None) };
        let author: String = r.try_get("author")?;
        Ok(Some(AttachmentRecord {
            attachment: ChatAttachment { id: r.try_get("id")?, file_name: r.try_get("file_name")?, kind: r.try_get("kind")?, size: r.try_get("size")? },
            conversation_id: r.try_get("conversation_id")?,
            author: Author::parse(&author).unwrap_or(Author::Trader),
            has_preview: r.try_get::<i64, _>("has_preview")? != 0,
        }))
    }

    async fn purge_unsent_attachments(&self, older_than: i64) -> Result<Vec<String>, StoreError> {
        let mut tx = write_tx(&self.pool).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "DELETE FROM chat_attachments WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.attachment_id = chat_attachments.id) RETURNING id",
        )
        .bind(older_than)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids)
    }
}
