use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, Frame};
use crate::i18n::t;

/// A screen whose feature is still to come: the frame, the screen's title and
/// lead (`screen.<key>.*`), and the live account details.
#[component]
pub fn Skeleton(key: &'static str) -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, &format!("screen.{key}.title"));
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, &format!("screen.{key}.lead"))}</p>
            <AccountDetails/>
            <p class="text-sm text-muted" data-testid="preparing">{t(lang, "screen.preparing")}</p>
        </Frame>
    }
}
