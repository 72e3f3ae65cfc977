use leptos::prelude::*;

use super::skeleton::Skeleton;

/// `/inapp/action?actionType=…`: the broker's own actions are their own issue.
#[component]
pub fn ActionScreen() -> impl IntoView {
    view! { <Skeleton key="action"/> }
}
