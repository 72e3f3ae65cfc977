//! The seconds between a page's HTML and its WASM. On a slow phone the
//! server-rendered screen is visible long before it is interactive; what a
//! trader does in between must not be lost or sent twice. A form either
//! works without the WASM (the deposit form posts itself) or says it is not
//! ready yet ([`interactive`]) and keeps what was typed
//! ([`typed_before_hydration`], [`checked_before_hydration`]).

use leptos::prelude::*;

/// `false` while the page is only server-rendered HTML, `true` once the WASM
/// has hydrated it (effects run only in the browser, after hydration).
/// Controls that need the WASM are disabled until then.
pub fn interactive() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// The text in the server-rendered field `id` as the trader left it before
/// hydration, for a field whose value the WASM sets (`prop:value`), which
/// would otherwise replace it. Empty on the server and after a client-side
/// navigation (there is no server-rendered field then).
pub fn typed_before_hydration(id: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let field = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id));
        if let Some(f) = field {
            if let Some(area) = f.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                return area.value();
            }
            if let Some(input) = f.dyn_ref::<web_sys::HtmlInputElement>() {
                return input.value();
            }
        }
    }
    let _ = id;
    String::new()
}

/// The value of the radio button `name` checked inside `root`, as the trader
/// left it before hydration. Radios carry only their initial choice (the
/// `checked` attribute, which hydration leaves alone; `prop:checked` would
/// reset it), so a form reads the choice back once it is interactive.
pub fn checked_before_hydration(root: &leptos::web_sys::Element, name: &str) -> Option<String> {
    root.query_selector(&format!("input[name={name}]:checked")).ok().flatten().and_then(|radio| radio.get_attribute("value"))
}
