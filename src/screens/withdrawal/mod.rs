//! `/inapp/action?actionType=withdraw`: the trader's balance and what is
//! available, the request form (amount, bank account or card), and the
//! trader's withdrawals with their states, live while one is moving.

pub(crate) mod form;
pub(crate) mod list;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, ErrorNote, Frame, Loading};
use crate::domain::WithdrawalView;
use crate::i18n::t;
use crate::server_fns::withdrawal::load_withdrawal_form;

#[component]
pub fn WithdrawalScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.withdraw.title");
    let data = Resource::new(|| (), |_| load_withdrawal_form());
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <AccountDetails/>
            <Suspense fallback=move || view! { <Loading text=t(lang, "app.details_loading")/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(form) => {
                            let items = RwSignal::new(form.recent.clone());
                            // A new request restarts the watch of the list.
                            let added = move |w: WithdrawalView| items.update(|list| {
                                list.retain(|o| o.id != w.id);
                                list.insert(0, w);
                            });
                            view! {
                                <form::WithdrawalFormView form on_requested=Callback::new(added)/>
                                <list::Withdrawals items/>
                            }.into_any()
                        }
                        Err(e) => view! {
                            <ErrorNote error=e.clone() testid="withdraw-error"/>
                            <crate::screens::deposit::level::VerifyFirst error=e back=crate::domain::limits::BackTo::Withdrawal/>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}
