//! "Continue on your phone" on the upload screen of a desktop without a
//! camera: a QR code the phone scans (drawn by the server, `kyc::handoff`),
//! then the desktop follows the case live and moves on when the phone's
//! document arrives. Offered only once the WASM finds no camera; a phone
//! (or a laptop with a webcam) takes the photo itself.

use std::ops::ControlFlow;

use leptos::prelude::*;

use super::upload::Phase;
use crate::components::{follow, use_page, SecondaryButton};
use crate::domain::kyc::{DocumentType, KycView};
use crate::i18n::t;
use crate::server_fns::kyc::{load_kyc, StartHandoff};

/// How many uploads of `doc_type` the case's timeline holds.
fn uploads(v: &KycView, doc_type: DocumentType) -> usize {
    v.timeline.iter().filter(|e| e.action == "document_uploaded" && e.subject.as_deref() == Some(doc_type.as_str())).count()
}

#[component]
pub fn PhoneHandoff(view: KycView, doc_type: DocumentType, phase: RwSignal<Phase>) -> impl IntoView {
    let lang = use_page().lang;
    let offered = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        if !camera::present().await {
            offered.set(true);
        }
    });
    let before = uploads(&view, doc_type);
    let start = ServerAction::<StartHandoff>::new();
    let shown = move || match start.value().get() {
        Some(Ok(h)) if phase.get() != Phase::Done => Some(h),
        _ => None,
    };
    view! {
        {move || (offered.get() && shown().is_none() && phase.get() != Phase::Done).then(|| view! {
            <SecondaryButton testid="kyc-handoff" label=t(lang, "kyc.handoff.offer")
                on:click=move |_| { start.dispatch(StartHandoff { document_type: doc_type.as_str().to_string() }); }/>
            {move || matches!(start.value().get(), Some(Err(_))).then(|| view! {
                <p role="alert" class="text-danger text-sm">{t(lang, "kyc.upload.failed")}</p>
            })}
        })}
        {move || shown().map(|h| view! {
            <section data-testid="kyc-handoff-qr" data-url=h.url.clone() aria-labelledby="kyc-handoff-title"
                class="space-y-2 rounded-xl border border-border bg-surface p-4">
                <h3 id="kyc-handoff-title" class="font-medium">{t(lang, "kyc.handoff.title")}</h3>
                // The server's own SVG: no script, no outside reference.
                <div class="mx-auto w-52 bg-white p-2" role="img" aria-label=t(lang, "kyc.handoff.qr_label") inner_html=h.svg.clone()></div>
                <p class="text-sm">{t(lang, "kyc.handoff.help")}</p>
                <Received doc_type before phase/>
            </section>
        })}
    }
}

/// While the code is shown: the case followed live; the phone's upload ends this one.
#[component]
fn Received(doc_type: DocumentType, before: usize, phase: RwSignal<Phase>) -> impl IntoView {
    follow(load_kyc, move |answer| {
        if answer.as_ref().is_ok_and(|v| uploads(v, doc_type) > before) {
            phase.set(Phase::Done);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
}

#[cfg(feature = "hydrate")]
mod camera {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    /// Whether the browser reports a camera (a browser that cannot say is taken to have one).
    pub async fn present() -> bool {
        let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else { return true };
        let Ok(listing) = devices.enumerate_devices() else { return true };
        let Ok(list) = JsFuture::from(listing).await else { return true };
        js_sys::Array::from(&list).iter().any(|d| d.dyn_into::<web_sys::MediaDeviceInfo>().is_ok_and(|i| i.kind() == web_sys::MediaDeviceKind::Videoinput))
    }
}
