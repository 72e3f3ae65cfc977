//! Support chat storage: conversations (one per trading account), their
//! numbered messages, attachments, receipts, typing moments, and a change log
//! that lets every instance wake its own live listeners.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::chat::{Author, ChatAttachment, ChatMessage, ConversationState, Receipts};
use crate::domain::Login;

#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRecord {
    pub id: i64,
    pub login: Login,
    pub user_id: i64,
    pub trader_name: Option<String>,
    pub closed: bool,
    pub assignee_id: Option<i64>,
    pub assignee_email: Option<String>,
    pub last_seq: i64,
    pub trader_delivered_seq: i64,
    pub trader_read_seq: i64,
    pub staff_delivered_seq: i64,
    pub staff_read_seq: i64,
    pub trader_typing_until: i64,
    pub staff_typing_until: i64,
    pub unread_by_staff: i64,
    pub last_message_at: Option<i64>,
    pub updated_at: i64,
}

impl ConversationRecord {
    /// The other side's receipts for `me`'s messages.
    pub fn receipts_for(&self, me: Author) -> Receipts {
        match me {
            Author::Trader => Receipts { delivered: self.staff_delivered_seq, read: self.staff_read_seq },
            Author::Staff => Receipts { delivered: self.trader_delivered_seq, read: self.trader_read_seq },
        }
    }

    /// Whether the side other than `me` is typing at `now_ms`.
    pub fn peer_typing(&self, me: Author, now_ms: i64) -> bool {
        match me {
            Author::Trader => self.staff_typing_until > now_ms,
            Author::Staff => self.trader_typing_until > now_ms,
        }
    }

    pub fn state(&self) -> ConversationState {
        ConversationState { closed: self.closed, agent: self.assignee_email.as_deref().map(agent_name) }
    }
}

/// What a trader sees of an agent: the part of the email before `@`.
pub fn agent_name(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_string()
}

/// A message to store. `seq` and the time are assigned by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub author: Author,
    pub staff_id: Option<i64>,
    pub client_id: &'a str,
    pub body: &'a str,
    pub attachment_id: Option<&'a str>,
    /// `(since, max)`: refuse when `author` already stored `max` messages since then.
    pub rate_limit: Option<(i64, i64)>,
}

/// The outcome of storing a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// Stored now.
    New(ChatMessage),
    /// The same client id was stored before: that message, unchanged.
    Duplicate(ChatMessage),
    /// The attachment is unknown, someone else's, or already on another message.
    BadAttachment,
    /// Over the rate limit (counted inside the same write transaction).
    RateLimited,
}

/// Which conversations an inbox tab lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxTab {
    Unassigned,
    Mine(i64),
    Closed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRecord {
    pub attachment: ChatAttachment,
    pub conversation_id: i64,
    pub author: Author,
    pub has_preview: bool,
}

#[async_trait]
pub trait ChatStore: Send + Sync {
    /// The trader's conversation, created on first use.
    async fn open_conversation(&self, login: Login, user_id: i64, trader_name: Option<&str>, now: i64, origin: &str) -> Result<ConversationRecord, StoreError>;
    async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError>;
    /// Messages with `seq > after`, oldest first, at most `limit`.
    async fn messages_after(&self, conversation_id: i64, after: i64, limit: i64) -> Result<Vec<ChatMessage>, StoreError>;
    /// The newest `limit` messages, oldest first.
    async fn latest_messages(&self, conversation_id: i64, limit: i64) -> Result<Vec<ChatMessage>, StoreError>;
    /// Stores a message with the next seq, or finds the one with the same
    /// client id. A message reopens a closed conversation; a staff message to
    /// an unclaimed one claims it for that agent. Sending reads nothing: read
    /// positions move only by what a client reports.
    async fn add_message(&self, m: &NewMessage<'_>, now: i64, origin: &str) -> Result<Stored, StoreError>;
    /// How many attachments `author` uploaded to the conversation since `since`.
    async fn attachments_since(&self, conversation_id: i64, author: Author, since: i64) -> Result<i64, StoreError>;
    /// Moves `reader`'s receipts forward (never back, never past the last message).
    async fn mark(&self, conversation_id: i64, reader: Author, delivered: Option<i64>, read: Option<i64>, now: i64, origin: &str) -> Result<(), StoreError>;
    async fn typing(&self, conversation_id: i64, who: Author, until: i64, now: i64, origin: &str) -> Result<(), StoreError>;
    /// Gives the conversation to `staff_id` if it is still held by
    /// `expected` (`None`: nobody); `false` when someone else got there first.
    async fn assign(&self, conversation_id: i64, staff_id: i64, expected: Option<i64>, now: i64, origin: &str) -> Result<bool, StoreError>;
    async fn set_closed(&self, conversation_id: i64, closed: bool, now: i64, origin: &str) -> Result<(), StoreError>;
    async fn inbox(&self, tab: InboxTab, limit: i64) -> Result<Vec<ConversationRecord>, StoreError>;
    /// Unread trader messages: in conversations nobody claimed, and in `staff_id`'s.
    async fn unread_counts(&self, staff_id: i64) -> Result<(i64, i64), StoreError>;
    /// Records an uploaded attachment; with `quota`, only if the trader's
    /// uploads stay within it (see `KycStore::add_document`): `false` when not.
    async fn add_attachment(&self, a: &AttachmentRecord, quota: Option<&super::UploadQuota>, now: i64) -> Result<bool, StoreError>;
    async fn attachment(&self, id: &str) -> Result<Option<AttachmentRecord>, StoreError>;
    /// Deletes attachments uploaded before `older_than` that no message
    /// carries, answering their ids (whose files can then go).
    async fn purge_unsent_attachments(&self, older_than: i64) -> Result<Vec<String>, StoreError>;
}
