//! What either side can do to a conversation. Every change is written to the
//! database first and then announced through the notifier.

use crate::domain::chat::{clean_body, valid_client_id, Author, ChatMessage, MessageError, ReceiptUpdate, SendMessage};
use crate::state::AppState;
use crate::store::chat::{ConversationRecord, NewMessage, Stored};
use crate::time::now_ms;

use super::ChatError;

/// A message from `author` (with `staff_id` for an agent). Answers the stored
/// message and whether it is new; a resend with a known client id is
/// answered with the first copy before any limit is applied.
pub async fn send(
    state: &AppState,
    conversation: &ConversationRecord,
    author: Author,
    staff_id: Option<i64>,
    req: &SendMessage,
) -> Result<(bool, ChatMessage), ChatError> {
    let limits = &state.settings.chat;
    if !valid_client_id(&req.client_id) {
        return Err(ChatError::Invalid(MessageError::BadClientId));
    }
    let attachment = req.attachment_id.as_deref().filter(|a| !a.is_empty());
    if attachment.is_some_and(|a| !crate::chat::attachments::plausible_id(a)) {
        return Err(ChatError::Invalid(MessageError::BadAttachment));
    }
    let body = clean_body(&req.body, attachment.is_some(), limits.max_message_chars).map_err(ChatError::Invalid)?;
    let store = &state.store.chat;
    // A resend is recognised inside `add_message`, before the rate limit.
    let now = now_ms();
    let rate_limit = (author == Author::Trader).then(|| (now - limits.rate_window_seconds as i64 * 1000, limits.rate_limit_messages as i64));
    let new = NewMessage { conversation_id: conversation.id, author, staff_id, client_id: &req.client_id, body: &body, attachment_id: attachment, rate_limit };
    match store.add_message(&new, now, &state.instance_id).await? {
        Stored::New(m) => {
            state.notifier.publish(conversation.id, true);
            Ok((true, m))
        }
        Stored::Duplicate(m) => Ok((false, m)),
        Stored::BadAttachment => Err(ChatError::Invalid(MessageError::BadAttachment)),
        Stored::RateLimited => Err(ChatError::RateLimited(limits.rate_window_seconds)),
    }
}

/// `reader` received / read the other side's messages up to these seqs.
pub async fn mark(state: &AppState, conversation_id: i64, reader: Author, update: ReceiptUpdate) -> Result<(), ChatError> {
    let bad = |v: Option<i64>| v.is_some_and(|s| s < 0);
    if bad(update.delivered) || bad(update.read) {
        return Err(ChatError::Malformed("delivered and read are message seqs (0 or more)"));
    }
    state.store.chat.mark(conversation_id, reader, update.delivered, update.read, now_ms(), &state.instance_id).await?;
    // What staff read changes the inbox's unread counts; what traders read does not.
    state.notifier.publish(conversation_id, reader == Author::Staff);
    Ok(())
}

/// `who` is typing: shown to the other side for a few seconds.
pub async fn typing(state: &AppState, conversation_id: i64, who: Author) -> Result<(), ChatError> {
    let now = now_ms();
    let until = now + state.settings.chat.typing_seconds as i64 * 1000;
    state.store.chat.typing(conversation_id, who, until, now, &state.instance_id).await?;
    state.notifier.publish(conversation_id, false);
    Ok(())
}

/// Claims the conversation for `staff_id` if it is still held by `expected`
/// (what the agent saw): two agents claiming at once cannot both win.
pub async fn assign(state: &AppState, conversation_id: i64, staff_id: i64, expected: Option<i64>) -> Result<(), ChatError> {
    if !state.store.chat.assign(conversation_id, staff_id, expected, now_ms(), &state.instance_id).await? {
        return Err(ChatError::Claimed);
    }
    state.notifier.publish(conversation_id, true);
    Ok(())
}

pub async fn set_closed(state: &AppState, conversation_id: i64, closed: bool) -> Result<(), ChatError> {
    state.store.chat.set_closed(conversation_id, closed, now_ms(), &state.instance_id).await?;
    state.notifier.publish(conversation_id, true);
    Ok(())
}
