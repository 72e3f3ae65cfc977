use leptos::prelude::*;

use crate::components::use_page;
use crate::domain::kyc::{KycView, RequirementState};
use crate::i18n::t;

/// The progress indicator: one step per requirement, done / current / to do.
#[component]
pub fn KycSteps(view: RwSignal<KycView>) -> impl IntoView {
    let lang = use_page().lang;
    view! {
        <ol class="flex flex-wrap gap-2" aria-label=t(lang, "kyc.steps_label") data-testid="kyc-steps">
            {move || {
                let reqs = view.get().requirements;
                let first_open = reqs.iter().position(|r| !matches!(r.state, RequirementState::Uploaded | RequirementState::Accepted));
                reqs.into_iter().enumerate().map(|(i, r)| {
                    let state = match r.state {
                        RequirementState::Uploaded | RequirementState::Accepted => "done",
                        _ if Some(i) == first_open => "current",
                        _ => "todo",
                    };
                    let class = match state {
                        "done" => "rounded-full px-3 py-1 text-sm bg-brand text-brand-contrast",
                        "current" => "rounded-full px-3 py-1 text-sm border-2 border-brand font-semibold",
                        _ => "rounded-full px-3 py-1 text-sm border border-border text-muted",
                    };
                    view! {
                        <li data-testid="kyc-step" data-state=state data-kind=r.kind.clone() class=class
                            aria-current=(state == "current").then_some("step")>
                            {format!("{}. {}", i + 1, t(lang, &format!("kyc.step.{}", r.kind)))}
                        </li>
                    }
                }).collect_view()
            }}
        </ol>
    }
}
