use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, Frame};
use crate::i18n::t;

/// `/inapp/deposit`: the deposit flow arrives with the deposit issue; today the
/// screen identifies the trader and shows the live account.
#[component]
pub fn DepositScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.deposit.title");
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.deposit.lead")}</p>
            <AccountDetails/>
            <p class="text-sm text-muted" data-testid="preparing">{t(lang, "screen.preparing")}</p>
        </Frame>
    }
}
