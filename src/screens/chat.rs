use leptos::prelude::*;

use super::skeleton::Skeleton;

/// `/inapp/chat`: support chat is its own issue.
#[component]
pub fn ChatScreen() -> impl IntoView {
    view! { <Skeleton key="chat"/> }
}
