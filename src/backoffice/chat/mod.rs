//! The support side of chat: the inbox (unassigned, mine, closed, with live
//! unread counts), a conversation with the trader's identity and KYC state,
//! claim / close / reopen, and replies. Support staff and admins only.
//!
//! The pages are server-rendered and work as plain forms; `/js/support.js`
//! makes them live (server-sent events, replies without reload, typing,
//! attachments). A small script rather than the trader's WASM bundle: the
//! back-office is forms throughout and stays light.

mod api;
mod inbox;
mod page;

pub use api::{attachment, events, post_message, post_receipts, post_typing, upload};
pub use inbox::{inbox, inbox_events};
pub use page::{act, page_view, reply_form};

use axum::http::HeaderMap;

use crate::chat::ChatError;
use crate::domain::kyc::CaseState;
use crate::domain::Lang;
use crate::i18n::t;
use crate::live::sse::StillAllowed;
use crate::state::AppState;
use crate::store::chat::ConversationRecord;
use crate::web::caller::still_staff;
use crate::web::Agents;

pub(super) async fn conversation(state: &AppState, id: i64) -> Result<ConversationRecord, ChatError> {
    state.store.chat.conversation(id).await?.ok_or(ChatError::NotFound)
}

/// For an open stream: is this still a signed-in agent?
pub(super) fn still_agent(state: AppState, headers: HeaderMap) -> StillAllowed {
    Box::new(move || {
        let (state, headers) = (state.clone(), headers.clone());
        Box::pin(async move { still_staff::<Agents>(&state, &headers).await })
    })
}

pub(super) fn kyc_label(lang: Lang, state: Option<CaseState>) -> String {
    match state {
        Some(s) => t(lang, &format!("kyc.state.{}", s.as_str())),
        None => t(lang, "backoffice.kyc_none"),
    }
}
