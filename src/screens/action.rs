use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, Frame};
use crate::i18n::t;

/// `/inapp/action?actionType=…`: the broker's own actions (their own issue).
#[component]
pub fn ActionScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.action.title");
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.action.lead")}</p>
            <AccountDetails/>
            <p class="text-sm text-muted" data-testid="preparing">{t(lang, "screen.preparing")}</p>
        </Frame>
    }
}
