use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, Frame};
use crate::i18n::t;

/// `/inapp/kyc`, `/inapp/kyc/upload`, `/inapp/kyc/status`: the KYC issue fills
/// these in; today they identify the trader.
#[component]
fn KycSkeleton(key: &'static str) -> impl IntoView {
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

#[component]
pub fn KycScreen() -> impl IntoView {
    view! { <KycSkeleton key="kyc"/> }
}

#[component]
pub fn KycUploadScreen() -> impl IntoView {
    view! { <KycSkeleton key="kyc_upload"/> }
}

#[component]
pub fn KycStatusScreen() -> impl IntoView {
    view! { <KycSkeleton key="kyc_status"/> }
}
