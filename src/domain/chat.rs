//! Support chat as both sides see it: messages, receipts, the live events the
//! server streams, and the rules for a message's text. The browser checks a
//! message with the same functions before sending it.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    Trader,
    Staff,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Trader => "trader",
            Author::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Author> {
        match s {
            "trader" => Some(Author::Trader),
            "staff" => Some(Author::Staff),
            _ => None,
        }
    }

    pub fn other(self) -> Author {
        match self {
            Author::Trader => Author::Staff,
            Author::Staff => Author::Trader,
        }
    }
}

/// A file attached to a message (checked like a KYC document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatAttachment {
    pub id: String,
    pub file_name: String,
    /// `jpeg`, `png` or `pdf` on the wire.
    pub kind: super::kyc::FileKind,
    pub size: i64,
}

impl ChatAttachment {
    pub fn is_image(&self) -> bool {
        self.kind.is_image()
    }
}

/// A stored message. `seq` orders a conversation (1, 2, 3, … with no gaps);
/// `client_id` is the id the sender's browser made, so a resend is the same message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub seq: i64,
    pub client_id: String,
    pub author: Author,
    /// The agent's display name on staff messages.
    pub author_name: Option<String>,
    pub body: String,
    pub attachment: Option<ChatAttachment>,
    pub at_ms: i64,
}

/// How far the other side has received and read this side's messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipts {
    pub delivered: i64,
    pub read: i64,
}

/// What a sent message shows next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Still in the browser (offline, or waiting to be accepted).
    Pending,
    Sent,
    Delivered,
    Read,
}

impl Delivery {
    pub fn of(seq: i64, receipts: Receipts) -> Delivery {
        if seq <= receipts.read {
            Delivery::Read
        } else if seq <= receipts.delivered {
            Delivery::Delivered
        } else {
            Delivery::Sent
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Read => "read",
        }
    }
}

/// `open` or `closed`, and the agent who claimed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationState {
    pub closed: bool,
    pub agent: Option<String>,
}

/// The conversation as the trader's screen first renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatView {
    pub messages: Vec<ChatMessage>,
    /// The agent's receipts for the trader's messages.
    pub receipts: Receipts,
    pub state: ConversationState,
    pub max_chars: usize,
    /// What the trader's screen should remember unsent messages under.
    pub outbox_key: String,
    /// The client id of the message form as rendered, for the browser to
    /// post with it before the WASM arrives: a second press of the same form
    /// is the same message.
    pub form_client_id: String,
}

/// The message form the browser posted by itself, refused: the screen again
/// with why, in its query (`?refused=CODE`). The code is one of
/// [`MessageError`]'s, never text, so a forged link can show only our own
/// messages. The draft is not carried: a URL is logged by proxies and kept
/// in the history, and a long message in another script would outgrow what
/// proxies take in a request line. A browser cannot send a message too
/// long (the field's `maxlength` is the limit) or empty with text in it; a
/// refused one is one sent while the trader was over the rate limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChatReturn {
    pub error: MessageError,
}

impl ChatReturn {
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<ChatReturn> {
        Some(ChatReturn { error: MessageError::parse(&get("refused")?)? })
    }

    #[cfg(feature = "ssr")]
    pub fn url(&self) -> String {
        format!("/inapp/chat?refused={}", self.error.code())
    }
}

/// One server-sent event: its SSE `event` name is [`ChatEvent::name`], its
/// data the JSON of the payload; `message` events carry the seq as their id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChatEvent {
    Message(ChatMessage),
    Receipts(Receipts),
    Typing(Typing),
    Conversation(ConversationState),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    pub typing: bool,
}

impl ChatEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ChatEvent::Message(_) => "message",
            ChatEvent::Receipts(_) => "receipts",
            ChatEvent::Typing(_) => "typing",
            ChatEvent::Conversation(_) => "conversation",
        }
    }
}

/// `POST …/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    pub client_id: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attachment_id: Option<String>,
}

/// `POST …/receipts`: the highest seq this side has received / read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptUpdate {
    #[serde(default)]
    pub delivered: Option<i64>,
    #[serde(default)]
    pub read: Option<i64>,
}

/// Why a message was refused. Codes are the JSON `code` and the i18n key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageError {
    Empty,
    TooLong,
    BadClientId,
    BadAttachment,
    RateLimited,
}

impl MessageError {
    pub fn code(self) -> &'static str {
        match self {
            MessageError::Empty => "MESSAGE_EMPTY",
            MessageError::TooLong => "MESSAGE_TOO_LONG",
            MessageError::BadClientId => "BAD_CLIENT_ID",
            MessageError::BadAttachment => "BAD_ATTACHMENT",
            MessageError::RateLimited => "RATE_LIMITED",
        }
    }

    pub fn parse(code: &str) -> Option<MessageError> {
        [MessageError::Empty, MessageError::TooLong, MessageError::BadClientId, MessageError::BadAttachment, MessageError::RateLimited]
            .into_iter()
            .find(|e| e.code() == code)
    }

    pub fn key(self) -> &'static str {
        match self {
            MessageError::Empty => "chat.error.empty",
            MessageError::TooLong => "chat.error.too_long",
            MessageError::BadClientId => "chat.error.bad_request",
            MessageError::BadAttachment => "chat.error.bad_attachment",
            MessageError::RateLimited => "chat.error.rate_limited",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            MessageError::Empty | MessageError::TooLong => 422,
            MessageError::BadClientId | MessageError::BadAttachment => 400,
            MessageError::RateLimited => 429,
        }
    }
}

/// Client ids are what a browser's `crypto.randomUUID()` makes, or close:
/// 8 to 64 letters, digits, `-` and `_`.
pub fn valid_client_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The text as stored: line endings normalised, trailing and leading blank
/// space removed, control characters other than newline and tab dropped.
/// Empty text is allowed only with an attachment. The limit counts characters.
pub fn clean_body(body: &str, has_attachment: bool, max_chars: usize) -> Result<String, MessageError> {
    let text: String = body.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    let text = text.trim().to_string();
    if text.is_empty() && !has_attachment {
        return Err(MessageError::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(MessageError::TooLong);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_rules() {
        assert_eq!(clean_body("  hi\r\nthere \u{7}", false, 100), Ok("hi\nthere".into()));
        assert_eq!(clean_body(" \n ", false, 100), Err(MessageError::Empty));
        assert_eq!(clean_body("", true, 100), Ok(String::new()));
        assert_eq!(clean_body(&"é".repeat(100), false, 100).map(|s| s.chars().count()), Ok(100));
        assert_eq!(clean_body(&"é".repeat(101), false, 100), Err(MessageError::TooLong));
        assert_eq!(clean_body("<b>x</b>", false, 100), Ok("<b>x</b>".into()), "text is kept as typed and shown as text");
    }

    #[test]
    fn client_ids() {
        assert!(valid_client_id("0b6f3c2e-8d1a-4a47-9a55-0c7f3e1d2b9a"));
        assert!(!valid_client_id("short"));
        assert!(!valid_client_id("has space in it"));
        assert!(!valid_client_id(&"a".repeat(65)));
    }

    #[test]
    fn delivery_follows_receipts() {
        let r = Receipts { delivered: 5, read: 3 };
        assert_eq!(Delivery::of(3, r), Delivery::Read);
        assert_eq!(Delivery::of(4, r), Delivery::Delivered);
        assert_eq!(Delivery::of(6, r), Delivery::Sent);
    }

    #[test]
    fn error_codes_round_trip() {
        for e in [MessageError::Empty, MessageError::TooLong, MessageError::BadClientId, MessageError::BadAttachment, MessageError::RateLimited] {
            assert_eq!(MessageError::parse(e.code()), Some(e));
        }
    }
}
