//! The three KYC screens: `/inapp/kyc` (steps and personal details),
//! `/inapp/kyc/upload` (one document: checks in the browser, then an upload
//! with progress) and `/inapp/kyc/status` (checklist and timeline, live).

mod details;
mod handoff;
mod status;
mod steps;
pub(crate) mod upload;

#[cfg(feature = "ssr")]
pub(crate) use status::KycStatus;
pub use status::KycStatusScreen;
pub use upload::KycUploadScreen;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{use_page, AccountDetails, Frame, Loading};
use crate::domain::kyc::KycView;
use crate::i18n::t;
use crate::server_fns::kyc::load_kyc;

/// Shows `view` once loaded, or the error in place of the screen.
pub(super) fn loaded(result: Result<KycView, crate::errors::AppError>, body: impl FnOnce(KycView) -> AnyView) -> AnyView {
    match result {
        Ok(v) => body(v),
        Err(e) => view! { <crate::components::ErrorNote error=e testid="kyc-error"/> }.into_any(),
    }
}

#[component]
pub fn KycScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.kyc.title");
    let data = Resource::new(|| (), |_| load_kyc());
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.kyc.lead")}</p>
            <AccountDetails/>
            <Suspense fallback=move || view! { <Loading text=t(lang, "app.details_loading")/> }>
                {move || Suspend::new(async move { loaded(data.await, move |v| view! { <KycHome initial=v/> }.into_any()) })}
            </Suspense>
        </Frame>
    }
}

#[component]
pub(crate) fn KycHome(
    initial: KycView,
    #[prop(optional)] preview_errors: Option<std::collections::BTreeMap<String, crate::domain::kyc::DetailError>>,
) -> impl IntoView {
    let lang = use_page().lang;
    let current = RwSignal::new(initial);
    view! {
        <steps::KycSteps view=current/>
        <details::DetailsForm view=current preview_errors=preview_errors.unwrap_or_default()/>
        <nav class="space-y-2" aria-label=t(lang, "kyc.steps_label")>
            {move || current.get().requirements.into_iter().filter(|r| r.kind != "details").map(|r| {
                let href = format!("/inapp/kyc/upload?documentType={}", r.kind);
                let label = t(lang, &format!("kyc.doc.{}", r.kind));
                let state = t(lang, &format!("kyc.req.{}", r.state.as_str()));
                view! {
                    <a href=href data-testid=format!("kyc-upload-{}", r.kind)
                        class="flex justify-between gap-4 rounded-lg border border-border bg-surface p-3 min-h-11 focus-visible:outline-2 focus-visible:outline-brand">
                        <span>{label}</span>
                        <span class="text-sm text-muted">{state}</span>
                    </a>
                }
            }).collect_view()}
            <a href="/inapp/kyc/status" data-testid="kyc-to-status" class="block underline min-h-11 py-2">{t(lang, "kyc.status_link")}</a>
            <BackLink back=current.get_untracked().back/>
        </nav>
    }
}

/// Back to the screen that sent the trader into KYC (a deposit above their
/// level), if one did.
#[component]
pub(crate) fn BackLink(back: Option<crate::domain::limits::BackTo>) -> impl IntoView {
    let lang = use_page().lang;
    back.map(|b| {
        view! {
            <a href=b.path() data-testid="kyc-back" data-back=b.as_str() class="block underline min-h-11 py-2">
                {t(lang, &format!("limits.back.{}", b.as_str()))}
            </a>
        }
    })
}
