use leptos::prelude::*;

use super::skeleton::Skeleton;

/// `/inapp/deposit`: the deposit flow is its own issue; today the screen
/// identifies the trader and shows the live account.
#[component]
pub fn DepositScreen() -> impl IntoView {
    view! { <Skeleton key="deposit"/> }
}
