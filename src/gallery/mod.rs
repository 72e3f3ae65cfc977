//! `/gallery`, for the broker's designers: every screen in each of its
//! states (empty, filled, error, in progress, success), in the light and the
//! dark palette side by side, rendered from the real components with sample
//! data (no token, no cTrader). Each cell is `/gallery/view?…`, a static
//! server-rendered page, so a theme edit shows on the next reload. Not
//! served in production mode.

mod samples;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;

use crate::config::Mode;
use crate::domain::{ErrorCode, Lang, Theme};
use crate::i18n::{t, t_with};
use crate::render::{document, error_page, html_response};
use crate::session::{page_context, Prefs};
use crate::state::AppState;

/// Every screen and the states it has.
pub const CELLS: [(&str, &[&str]); 9] = [
    ("deposit", &["empty", "filled", "error", "in_progress", "bank_transfer", "success"]),
    ("kyc", &["empty", "filled", "error", "in_progress", "success"]),
    ("kyc_upload", &["empty", "filled", "error", "in_progress", "success"]),
    ("kyc_status", &["empty", "error", "in_progress", "success"]),
    ("action", &["empty", "error", "success", "handoff", "unknown"]),
    ("withdraw", &["empty", "filled"]),
    ("chat", &["empty", "filled", "error", "in_progress"]),
    ("token_error", &["error"]),
    ("done", &["success", "error"]),
];

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn prefs(q: &HashMap<String, String>) -> Prefs {
    Prefs {
        lang: q.get("lang").and_then(|l| Lang::parse(l)).unwrap_or_default(),
        theme: q.get("theme").and_then(|t| Theme::parse(t)).unwrap_or_default(),
        ..Prefs::default()
    }
}

/// The overview: a row per screen state, light and dark side by side.
pub async fn index(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let ctx = page_context(&state, prefs(&q), None);
    if state.settings.server.mode == Mode::Production {
        return error_page(&ctx, &state.css_href(), ErrorCode::NotFound);
    }
    let lang = ctx.lang;
    let width = q.get("width").and_then(|w| w.parse::<u32>().ok()).filter(|w| (320..=1600).contains(w)).unwrap_or(360);
    let problem = state.theme.error();
    let title = t(lang, "gallery.title");
    let html = document(&ctx, &state.css_href(), title.clone(), move || {
        view! {
            <main class="p-4 space-y-6 bg-bg text-text min-h-screen">
                <h1 class="text-2xl font-bold">{title.clone()}</h1>
                <p class="text-muted">
                    {t(lang, "gallery.lead")}" "
                    <a class="underline" href=format!("?lang={}&width=1280", lang.code())>{t(lang, "gallery.desktop")}</a>" · "
                    <a class="underline" href=format!("?lang={}&width=360", lang.code())>{t(lang, "gallery.phone")}</a>" · "
                    {Lang::ALL.iter().map(|l| view! { <a class="underline me-2" href=format!("?lang={}&width={width}", l.code())>{l.code()}</a> }).collect_view()}
                </p>
                {problem.map(|p| view! {
                    <p role="alert" data-testid="theme-error" class="rounded-xl border-2 border-danger p-4 font-medium text-danger">
                        {t_with(lang, "gallery.theme_error", &[("problem", &p)])}
                    </p>
                })}
                {CELLS.iter().flat_map(|(screen, states)| states.iter().map(move |st| (*screen, *st))).map(|(screen, st)| view! {
                    <section class="space-y-2" data-testid="gallery-cell" data-screen=screen data-state=st>
                        <h2 class="font-semibold">{format!("{screen} · {st}")}</h2>
                        <div class="flex flex-wrap gap-4">
                            {["light", "dark"].into_iter().map(|theme| view! {
                                <iframe title=format!("{screen} {st} {theme}") width=width.to_string() height="640"
                                    class="border border-border rounded-lg bg-surface"
                                    src=format!("/gallery/view?screen={screen}&state={st}&theme={theme}&lang={}", lang.code())></iframe>
                            }).collect_view()}
                        </div>
                    </section>
                }).collect_view()}
            </main>
        }
        .into_any()
    });
    no_store(html_response(StatusCode::OK, html))
}

/// One screen in one state: `?screen=&state=&theme=&lang=`.
pub async fn view(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut ctx = page_context(&state, prefs(&q), None);
    if state.settings.server.mode == Mode::Production {
        return error_page(&ctx, &state.css_href(), ErrorCode::NotFound);
    }
    let screen = q.get("screen").cloned().unwrap_or_default();
    let st = q.get("state").cloned().unwrap_or_default();
    let known = CELLS.iter().any(|(s, states)| *s == screen && states.contains(&st.as_str()));
    if !known {
        return error_page(&ctx, &state.css_href(), ErrorCode::NotFound);
    }
    ctx.trader = Some(samples::trader());
    let settings = state.settings.clone();
    let lang = ctx.lang;
    let title = format!("{screen} · {st}");
    let html = document(&ctx, &state.css_href(), title, move || samples::render(&settings, lang, &screen, &st));
    no_store(html_response(StatusCode::OK, html)).into_response()
}
