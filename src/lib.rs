//! broker-inapp: a broker's InApp screens for cTrader.
//!
//! The crate builds twice: with `ssr` as the axum server (see `main.rs` and
//! [`startup`]) and with `hydrate` as the WASM that makes the same screens
//! interactive in the platform's embedded browser.

// Leptos views are deeply nested types; clean (non-incremental) builds of
// the larger screens need more than the default query depth.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod domain;
pub mod errors;
pub mod i18n;
pub mod screens;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod backoffice;
#[cfg(feature = "ssr")]
pub mod broker_actions;
#[cfg(feature = "ssr")]
pub mod chat;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod ctrader;
#[cfg(feature = "ssr")]
pub mod deposit;
#[cfg(feature = "ssr")]
pub mod gallery;
#[cfg(feature = "ssr")]
pub mod kyc;
#[cfg(feature = "ssr")]
pub mod ledger;
#[cfg(feature = "ssr")]
pub mod limits;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod notify;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod sim;
#[cfg(feature = "ssr")]
pub mod sso;
#[cfg(feature = "ssr")]
pub mod startup;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod telemetry;
#[cfg(feature = "ssr")]
pub mod theme;
#[cfg(feature = "ssr")]
pub mod time;
#[cfg(feature = "ssr")]
pub mod watched;
#[cfg(feature = "ssr")]
pub mod web;
#[cfg(feature = "ssr")]
pub mod withdrawal;
#[cfg(feature = "ssr")]
pub mod worker;

/// The browser entry point: read the page context the server embedded, then
/// hydrate the server-rendered screen.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::*;
    console_error_panic_hook::set_once();
    i18n::browser::install_from_page();
    let page = app::read_embedded_page_context();
    leptos::mount::hydrate_body(move || {
        if let Some(page) = page {
            provide_context(page);
        }
        view! { <app::App/> }
    });
}
