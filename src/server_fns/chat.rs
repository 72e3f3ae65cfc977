//! The trader's conversation as the chat screen first renders it. Sending,
//! receipts, typing and the live stream are plain endpoints (`chat::trader`)
//! because they answer precise JSON errors and stream; so is the message
//! form the browser posts by itself before the WASM arrives.

use leptos::prelude::*;

use crate::domain::chat::ChatView;
use crate::errors::AppError;

#[server(endpoint = "chat/view")]
pub async fn load_chat() -> Result<ChatView, AppError> {
    use crate::domain::chat::Author;
    let (state, session) = crate::session::require().await?;
    let t = &session.trader;
    let internal = |e: crate::store::StoreError| {
        tracing::error!(error = %e, "chat read failed");
        AppError::Internal
    };
    let c = state.store.chat.open_conversation(t.login, t.user_id, t.name.as_deref(), crate::time::now_ms(), &state.instance_id).await.map_err(internal)?;
    let messages = state.store.chat.latest_messages(c.id, state.settings.chat.history_limit).await.map_err(internal)?;
    Ok(ChatView {
        messages,
        receipts: c.receipts_for(Author::Trader),
        state: c.state(),
        max_chars: state.settings.chat.max_message_chars,
        outbox_key: format!("inapp-chat-outbox-{}", t.login),
        form_client_id: uuid::Uuid::new_v4().simple().to_string(),
    })
}
