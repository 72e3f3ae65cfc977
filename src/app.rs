//! The router of the hydrated screens and, on the server, the HTML shell around
//! them (language, direction, theme, CSP nonce, the embedded page context).

use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::domain::PageContext;
use crate::screens::{ActionScreen, ChatScreen, DepositScreen, KycScreen, KycStatusScreen, KycUploadScreen, NotFound};

/// The id of the `<script type="application/json">` carrying the [`PageContext`].
pub const PAGE_CONTEXT_ID: &str = "inapp-page";

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/inapp/deposit") view=DepositScreen/>
                <Route path=path!("/inapp/kyc") view=KycScreen/>
                <Route path=path!("/inapp/kyc/upload") view=KycUploadScreen/>
                <Route path=path!("/inapp/kyc/status") view=KycStatusScreen/>
                <Route path=path!("/inapp/chat") view=ChatScreen/>
                <Route path=path!("/inapp/action") view=ActionScreen/>
            </Routes>
        </Router>
    }
}

/// JSON for embedding in a `<script>`: `<` is escaped so no value can close the tag.
pub fn page_context_json(page: &PageContext) -> String {
    serde_json::to_string(page).unwrap_or_else(|_| "null".into()).replace('<', "\\u003c")
}

/// The browser's copy of the context the server rendered with.
#[cfg(feature = "hydrate")]
pub fn read_embedded_page_context() -> Option<PageContext> {
    let text = web_sys::window()?.document()?.get_element_by_id(PAGE_CONTEXT_ID)?.text_content()?;
    serde_json::from_str(&text).ok()
}

/// The document around [`App`], rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions, css: String) -> impl IntoView {
    use leptos::nonce::Nonce;
    use leptos_meta::MetaTags;

    let request = use_context::<http::request::Parts>();
    let extension = |f: fn(&http::Extensions) -> Option<String>| request.as_ref().and_then(|p| f(&p.extensions));
    let nonce = extension(|e| e.get::<crate::security::CspNonce>().map(|n| n.0.clone()));
    if let Some(nonce) = &nonce {
        provide_context(Nonce::from_value(nonce.clone()));
    }
    let styles = match (nonce, use_context::<crate::state::AppState>()) {
        (Some(nonce), Some(state)) => state.screen_styles(nonce),
        _ => crate::render::Styles::Linked(css),
    };
    let page = request.as_ref().and_then(|p| p.extensions.get::<PageContext>().cloned()).unwrap_or_else(crate::components::use_page);
    provide_context(page.clone());
    let json = page_context_json(&page);
    view! {
        <!DOCTYPE html>
        <html lang=page.lang.code() dir=page.lang.dir().as_str() class=page.theme.as_str()>
            <head>
                {crate::render::head_basics(&page, styles)}
                <script type="application/json" id=PAGE_CONTEXT_ID inner_html=json></script>
                <script type="application/json" id=crate::i18n::TEXTS_ID inner_html=crate::i18n::browser_texts(page.lang)></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
