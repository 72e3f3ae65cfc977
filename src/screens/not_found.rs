use leptos::prelude::*;

use crate::domain::ErrorCode;
use crate::screens::ErrorPage;

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <ErrorPage code=ErrorCode::NotFound/> }
}
