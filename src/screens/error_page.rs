use leptos::prelude::*;

use crate::components::{use_page, Frame};
use crate::domain::ErrorCode;
use crate::i18n::{t, t_with};

/// The branded page for a token or session problem. It carries cTrader's InApp
/// machine-readable code so QA suites and support can tell the cases apart.
#[component]
pub fn ErrorPage(code: ErrorCode) -> impl IntoView {
    let lang = use_page().lang;
    let key = code.i18n_key();
    let reopen = matches!(code, ErrorCode::InvalidOtToken | ErrorCode::TokenExpired | ErrorCode::UserNotFound | ErrorCode::SessionExpired);
    view! {
        <Frame title=t(lang, &format!("error.{key}.title"))>
            <div role="alert" class="rounded-xl border border-border bg-surface p-4 space-y-2" data-testid="error" data-code=code.code()>
                <p>{t(lang, &format!("error.{key}.body"))}</p>
                {reopen.then(|| view! { <p class="font-medium">{t(lang, "error.reopen")}</p> })}
                <p class="text-xs text-muted" data-testid="error-code">{t_with(lang, "error.code", &[("code", code.code())])}</p>
            </div>
            // An empty href is the current URL: retrying never writes the token into the page.
            {code.retryable().then(|| view! {
                <a href="" rel="external" data-testid="retry"
                    class="inline-flex items-center justify-center rounded-lg min-h-11 px-4 font-semibold bg-brand text-brand-contrast focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand">
                    {t(lang, "error.try_again")}
                </a>
            })}
        </Frame>
    }
}
