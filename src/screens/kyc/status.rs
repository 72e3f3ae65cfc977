use std::ops::ControlFlow;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{follow, tell_parent, use_page, AccountDetails, Card, Frame, Loading};
use crate::domain::kyc::{CaseState, KycView, RequirementState};
use crate::domain::notify::Notice;
use crate::i18n::{t, t_with};
use crate::server_fns::kyc::load_kyc;

#[component]
pub fn KycStatusScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.kyc_status.title");
    let data = Resource::new(|| (), |_| load_kyc());
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.kyc_status.lead")}</p>
            <AccountDetails/>
            <Suspense fallback=move || view! { <Loading text=t(lang, "app.details_loading")/> }>
                {move || Suspend::new(async move {
                    super::loaded(data.await, |v| view! { <KycStatus initial=v/> }.into_any())
                })}
            </Suspense>
        </Frame>
    }
}

/// The checklist, the next step and the timeline; followed live, so a
/// reviewer's decision shows without a reload, whichever instance made it.
#[component]
pub(crate) fn KycStatus(initial: KycView) -> impl IntoView {
    let page = use_page();
    let lang = page.lang;
    let login = page.trader.as_ref().map_or(0, |t| t.login.get());
    let origins = StoredValue::new(page.parent_origins.clone());
    // Submitted or decided: told to the embedding page when the screen
    // opens, and again at each change it sees.
    let tell = move |v: &KycView| {
        if matches!(v.state, CaseState::Submitted | CaseState::MoreInfo | CaseState::Approved | CaseState::Rejected) {
            let notice = Notice { kyc_type: Some(v.kyc_type.clone()), ..Notice::new("kyc", login.to_string(), login, v.state.as_str()) };
            origins.with_value(|o| tell_parent(&notice, o));
        }
    };
    let opened = initial.clone();
    Effect::new(move |_| tell(&opened));
    let view = RwSignal::new(initial);
    follow(load_kyc, move |answer| {
        if let Ok(next) = answer {
            if next.state != view.with_untracked(|v| v.state) {
                tell(&next);
            }
            if next != view.get_untracked() {
                view.set(next);
            }
        }
        ControlFlow::Continue(())
    });
    let back = view.get_untracked().back;
    view! {
        <Card class="space-y-2" attr:aria-live="polite">
            {move || {
                let v = view.get();
                let state = v.state.as_str();
                view! {
                    <p class="text-lg font-semibold" data-testid="kyc-overall" data-state=state>{t(lang, &format!("kyc.state.{state}"))}</p>
                    <p><span class="text-muted">{t(lang, "kyc.next_label")}": "</span>{t(lang, &format!("kyc.next.{state}"))}</p>
                    {v.note.map(|note| view! { <p data-testid="kyc-note">{t_with(lang, "kyc.note", &[("note", &note)])}</p> })}
                }
            }}
        </Card>
        <ul class="divide-y divide-border rounded-xl border border-border bg-surface" aria-live="polite">
            {move || view.get().requirements.into_iter().map(|r| {
                let label = if r.kind == "details" { t(lang, "kyc.step.details") } else { t(lang, &format!("kyc.doc.{}", r.kind)) };
                let href = if r.kind == "details" { "/inapp/kyc".to_string() } else { format!("/inapp/kyc/upload?documentType={}", r.kind) };
                // Rejected for good: the way to support, not a new upload.
                let final_rejection = r.state == RequirementState::Rejected && r.final_rejection;
                let redo = matches!(r.state, RequirementState::Rejected | RequirementState::Missing) && !final_rejection;
                let retry_hint = (r.state == RequirementState::Rejected && !final_rejection).then(|| t(lang, "kyc.retry_hint"));
                view! {
                    <li class="p-3 space-y-1" data-testid="kyc-req" data-type=r.kind.clone() data-state=r.state.as_str()>
                        <p class="flex justify-between gap-4">
                            <span class="font-medium">{label}</span>
                            <span>{t(lang, &format!("kyc.req.{}", r.state.as_str()))}</span>
                        </p>
                        {r.reason.map(|reason| view! { <p class="text-sm text-danger" data-testid="kyc-reason">{t_with(lang, "kyc.reason", &[("reason", &reason)])}</p> })}
                        {retry_hint.map(|hint| view! { <p class="text-sm" data-testid="kyc-retry-hint">{hint}</p> })}
                        {final_rejection.then(|| view! {
                            <p class="text-sm font-medium" data-testid="kyc-final">{t(lang, "kyc.final_rejection")}</p>
                            <a href="/inapp/chat" data-testid="kyc-final-support" class="inline-block underline min-h-11 py-2">{t(lang, "kyc.support")}</a>
                        })}
                        {redo.then(|| view! {
                            <a href=href data-testid="kyc-reupload" class="inline-block underline min-h-11 py-2">
                                {if r.state == RequirementState::Rejected { t(lang, "kyc.reupload") } else { t(lang, "kyc.upload_link") }}
                            </a>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        <super::BackLink back/>
        <section aria-labelledby="kyc-timeline-heading" class="space-y-2">
            <h2 id="kyc-timeline-heading" class="font-medium">{t(lang, "kyc.timeline")}</h2>
            <ol data-testid="kyc-timeline" class="space-y-1 text-sm">
                {move || view.get().timeline.into_iter().rev().map(|e| {
                    let what = t(lang, &format!("kyc.event.{}", e.action));
                    let subject = e.subject.map(|s| format!(" · {}", t(lang, &format!("kyc.step.{s}")))).unwrap_or_default();
                    view! {
                        <li class="flex justify-between gap-4">
                            <span>{format!("{what}{subject}")}</span>
                            <time class="text-muted">{crate::domain::format_when(e.at_ms, lang)}</time>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
        <a href="/inapp/chat" data-testid="kyc-support" class="block underline min-h-11 py-2">{t(lang, "kyc.support")}</a>
    }
}
