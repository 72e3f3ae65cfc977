//! The trader's verification level on the deposit screen: what it allows
//! now, and, for an amount above it, the way up (a button into the KYC that
//! would allow it) or the wait (a case in review). See `domain::limits`.

use leptos::prelude::*;

use crate::components::use_page;
use crate::domain::limits::{BackTo, LevelRefusal, LevelView};
use crate::domain::{format_money, Lang};
use crate::i18n::{t, t_with};

/// The form the KYC buttons submit (`form="kyc-start"`), wherever they sit.
pub const KYC_START_FORM: &str = "kyc-start";

/// A level's name: translated for the shipped ones, as configured otherwise.
pub fn level_name(lang: Lang, level: &str) -> String {
    let key = format!("limits.level.{level}");
    let text = t(lang, &key);
    if text == key {
        level.to_string()
    } else {
        text
    }
}

#[component]
pub fn LevelLine(level: LevelView, currency: String) -> impl IntoView {
    let lang = use_page().lang;
    let money = |v| format!("{} {currency}", format_money(v, level.digits, lang));
    let room = match level.room() {
        Some(room) => t_with(lang, "limits.room", &[("room", &money(room))]),
        None => t(lang, "limits.no_cap"),
    };
    let caps: Vec<String> = [
        ("limits.cap.per_deposit", level.limits.per_deposit),
        ("limits.cap.per_30_days", level.limits.per_30_days),
        ("limits.cap.lifetime", level.limits.lifetime),
    ]
    .into_iter()
    .filter_map(|(key, cap)| cap.map(|c| t_with(lang, key, &[("amount", &money(c))])))
    .collect();
    view! {
        <div class="mt-2 border-t border-border pt-2 text-sm" data-testid="deposit-level" data-level=level.level.clone()>
            <p>{t_with(lang, "limits.level_line", &[("level", &level_name(lang, &level.level))])}</p>
            <p class="font-medium" data-testid="deposit-room">{room}</p>
            {(!caps.is_empty()).then(|| view! { <p class="text-muted">{caps.join(" · ")}</p> })}
        </div>
    }
}

/// Under a refused amount: the button into KYC, or why there is none.
#[component]
pub fn LevelNext(refusal: LevelRefusal) -> impl IntoView {
    let lang = use_page().lang;
    if refusal.pending {
        return view! { <p class="text-sm" data-testid="level-pending">{t(lang, "limits.pending")}</p> }.into_any();
    }
    match refusal.upgrade {
        Some(kyc_type) => view! {
            <button type="submit" form=KYC_START_FORM name="kycType" value=kyc_type.clone() data-testid="level-verify" data-kyc-type=kyc_type
                class="mt-2 w-full rounded-lg border border-brand text-brand min-h-11 px-4 font-medium focus-visible:outline-2 focus-visible:outline-brand">
                {t(lang, "limits.verify_more")}
            </button>
        }
        .into_any(),
        None => view! { <p class="text-sm text-muted" data-testid="level-top">{t(lang, "limits.top")}</p> }.into_any(),
    }
}

/// The form the KYC buttons post: into KYC, and back to `back` afterwards.
#[component]
pub fn KycStartForm(back: BackTo) -> impl IntoView {
    view! {
        <form id=KYC_START_FORM method="post" action="/inapp/kyc/start" class="hidden">
            <input type="hidden" name="back" value=back.as_str()/>
        </form>
    }
}

/// Under a screen refused until the trader verifies: the button into KYC
/// (nothing while their case waits for review, or for any other error).
#[component]
pub fn VerifyFirst(error: crate::errors::AppError, back: BackTo) -> impl IntoView {
    let lang = use_page().lang;
    matches!(error, crate::errors::AppError::VerificationRequired { pending: false }).then(|| {
        view! {
            <form method="post" action="/inapp/kyc/start">
                <input type="hidden" name="back" value=back.as_str()/>
                <button type="submit" data-testid="verify-first"
                    class="w-full rounded-lg min-h-12 px-4 font-semibold bg-brand text-brand-contrast focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand">
                    {t(lang, "limits.verify")}
                </button>
            </form>
        }
    })
}
