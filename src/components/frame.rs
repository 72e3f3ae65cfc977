use leptos::prelude::*;

use crate::domain::{Lang, PageContext};
use crate::i18n::{t, t_with};

/// The page context provided by the shell (server) or the hydrate entry
/// (browser). Falls back to an anonymous English context, which only a bug
/// can reach: `/inapp` screens are never rendered without a session.
pub fn use_page() -> PageContext {
    use_context::<PageContext>().unwrap_or_else(|| PageContext {
        lang: Lang::En,
        theme: Default::default(),
        source: Default::default(),
        broker_name: String::new(),
        legal_entity: String::new(),
        footer: None,
        logo_url: String::new(),
        close_url: "/done/close".into(),
        simulator: false,
        trader: None,
        parent_origins: vec![],
    })
}

/// Header with the broker's brand and a close control, the identified trader,
/// the screen's content, and the legal entity in the footer.
#[component]
pub fn Frame(#[prop(into)] title: String, children: Children) -> impl IntoView {
    let page = use_page();
    let lang = page.lang;
    let trader = page.trader.clone().map(|tr| {
        let login = tr.login.to_string();
        view! {
            <p class="text-sm text-muted" data-testid="trader">
                {tr.name.clone().map(|name| view! {
                    <span data-testid="trader-name" class="font-medium text-text">{name}</span>
                    <span aria-hidden="true">" · "</span>
                })}
                <span data-testid="trader-login">{t_with(lang, "app.login", &[("login", &login)])}</span>
            </p>
            {tr.switched_from.map(|old| view! {
                <p role="status" class="rounded-xl border-2 border-warning bg-surface p-3 text-sm font-medium" data-testid="account-switched">
                    {t_with(lang, "app.switched", &[("login", &login), ("previous", &old.to_string())])}
                </p>
            })}
        }
    });
    view! {
        <div class="min-h-screen flex flex-col bg-bg text-text">
            <header class="flex items-center gap-3 px-4 py-3 border-b border-border bg-surface">
                <img src=page.logo_url.clone() alt="" class="h-8 w-8 shrink-0" width="32" height="32"/>
                <span class="font-semibold leading-tight min-w-0 break-words" data-testid="broker-name">{page.broker_name.clone()}</span>
                {page.simulator.then(|| view! {
                    <span class="rounded-full px-2 py-0.5 text-xs font-semibold bg-warning text-warning-contrast"
                        title=t(lang, "app.simulator_hint") data-testid="simulator-badge">
                        {t(lang, "app.simulator")}
                    </span>
                })}
                // rel="external": a full page load, not a client-side route change.
                <a href=page.close_url.clone() rel="external"
                    class="ms-auto inline-flex items-center justify-center rounded-lg min-h-11 min-w-11 px-3 text-sm font-medium border border-border hover:bg-bg focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand"
                    data-testid="close">
                    <span aria-hidden="true" class="me-1">"×"</span>
                    {t(lang, "app.close")}
                </a>
            </header>
            <main class="flex-1 w-full max-w-xl mx-auto px-4 py-6 space-y-4" id="main">
                <h1 class="text-2xl font-bold">{title}</h1>
                {trader}
                {children()}
            </main>
            <footer class="px-4 py-3 text-xs text-muted border-t border-border text-center" data-testid="legal-entity">
                {page.footer.clone().unwrap_or_else(|| t_with(lang, "app.footer", &[("entity", &page.legal_entity)]))}
            </footer>
        </div>
    }
}
