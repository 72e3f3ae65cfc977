//! `/inapp/deposit`: the trader's account, the amount form and recent
//! deposits; with `?deposit=…` (the return from the payment page), the live
//! progress of that deposit until the browser goes to the success or failure URL.

pub(crate) mod form;
pub(crate) mod level;
pub(crate) mod progress;
pub(crate) mod recent;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{use_page, ErrorNote, Frame, Loading};
use crate::i18n::t;
use crate::server_fns::deposit::{load_deposit_form, DepositReturn};

#[component]
pub fn DepositScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.deposit.title");
    let query = use_query_map();
    let returning = move || query.read().get("deposit").filter(|d| !d.is_empty());
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            {move || match returning() {
                Some(id) => view! { <progress::DepositProgress id/> }.into_any(),
                None => view! { <DepositHome/> }.into_any(),
            }}
        </Frame>
    }
}

#[component]
fn DepositHome() -> impl IntoView {
    let lang = use_page().lang;
    let query = use_query_map();
    let account = query.read_untracked().get("account");
    // Back from a form posted before the WASM arrived, refused.
    let returned = query.with_untracked(DepositReturn::from_query);
    let form = Resource::new(move || account.clone(), load_deposit_form);
    view! {
        <Suspense fallback=move || view! { <Loading text=t(lang, "app.details_loading")/> }>
            {move || {
                let returned = returned.clone();
                Suspend::new(async move {
                    match form.await {
                        Ok(data) => view! {
                            <form::DepositFormView form=data.clone() returned/>
                            <recent::RecentDeposits initial=data.recent.clone()/>
                        }.into_any(),
                        Err(e) => view! {
                            <ErrorNote error=e.clone() testid="deposit-error"/>
                            <level::VerifyFirst error=e back=crate::domain::limits::BackTo::Deposit/>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
