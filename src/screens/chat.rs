use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, Frame};
use crate::i18n::t;

/// `/inapp/chat`: support chat (its own issue).
#[component]
pub fn ChatScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.chat.title");
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.chat.lead")}</p>
            <AccountDetails/>
            <p class="text-sm text-muted" data-testid="preparing">{t(lang, "screen.preparing")}</p>
        </Frame>
    }
}
