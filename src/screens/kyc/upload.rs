//! `/inapp/kyc/upload?documentType=…`: choose a file (or take a photo, or
//! drop one), see it, have it checked in the browser with the server's rules
//! (type by content, size, image dimensions), then upload it with a real
//! progress bar, cancel and retry. The server checks everything again.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{use_page, AccountDetails, FieldMessage, Frame, Loading, PrimaryButton, SecondaryButton};
use crate::domain::kyc::quality::QualityProblem;
use crate::domain::kyc::{DocumentType, KycView, UploadError, UploadLimits};
use crate::domain::Lang;
use crate::i18n::{t, t_with};
use crate::server_fns::kyc::load_kyc;

/// Where the chosen file is in its life on this page.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Empty,
    Checking,
    Invalid(UploadError),
    /// A photo that may not be readable: what is wrong, and the choice to
    /// take another or use it anyway.
    Doubtful(Vec<QualityProblem>),
    Ready,
    Uploading(u32),
    Done,
    Failed(Option<UploadError>),
    Cancelled,
}

/// What the preview shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    Image(String),
    Pdf { name: String, pages: usize },
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

pub fn error_text(lang: Lang, e: UploadError, limits: &UploadLimits) -> String {
    match e {
        UploadError::TooLarge => t_with(lang, e.i18n_key(), &[("size", &human_size(limits.max_bytes))]),
        UploadError::TooSmall => t_with(lang, e.i18n_key(), &[("size", &human_size(limits.min_bytes))]),
        UploadError::BadDimensions => t_with(lang, e.i18n_key(), &[("side", &limits.max_side.to_string())]),
        _ => t(lang, e.i18n_key()),
    }
}

#[component]
pub fn KycUploadScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.kyc_upload.title");
    let doc_type = use_query_map().read_untracked().get("documentType").and_then(|d| DocumentType::parse(&d));
    let data = Resource::new(|| (), |_| load_kyc());
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.kyc_upload.lead")}</p>
            <AccountDetails/>
            <Suspense fallback=move || view! { <Loading text=t(lang, "app.details_loading")/> }>
                {move || Suspend::new(async move {
                    super::loaded(data.await, move |v| match doc_type.filter(|d| v.requirements.iter().any(|r| r.kind == d.as_str())) {
                        // Rejected for good: no upload form, the way to support instead.
                        Some(d) if v.requirements.iter().any(|r| r.kind == d.as_str() && r.final_rejection) => view! {
                            <p role="alert" data-testid="kyc-final">{t(lang, "kyc.final_rejection")}</p>
                            <a href="/inapp/chat" data-testid="kyc-final-support" class="inline-block underline min-h-11 py-2">{t(lang, "kyc.support")}</a>
                        }.into_any(),
                        Some(d) => view! { <Uploader view=v doc_type=d/> }.into_any(),
                        None => view! {
                            <p role="alert" class="text-danger" data-testid="kyc-error">{t(lang, "kyc.upload.error.not_requested")}</p>
                        }.into_any(),
                    })
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
pub(crate) fn Uploader(
    view: KycView,
    doc_type: DocumentType,
    /// A phase (and preview) to show from the start (the designers' gallery).
    #[prop(optional)]
    preview_state: Option<(Phase, Option<Preview>)>,
) -> impl IntoView {
    let lang = use_page().lang;
    let limits = view.limits;
    let quality = view.quality;
    let (first_phase, first_preview) = preview_state.unwrap_or((Phase::Empty, None));
    let phase = RwSignal::new(first_phase);
    let preview = RwSignal::new(first_preview);
    // A unit struct on the server, the picked file in the browser.
    #[allow(clippy::default_constructed_unit_structs)]
    let file = browser::FileSlot::default();
    let choose = {
        let file = file.clone();
        move |f: Option<browser::File>| browser::choose(f, file.clone(), limits, quality, phase, preview)
    };
    let on_pick = {
        let choose = choose.clone();
        move |ev: leptos::ev::Event| choose(browser::picked(&ev))
    };
    let on_camera = on_pick.clone();
    let on_drop = {
        let choose = choose.clone();
        move |ev: leptos::ev::DragEvent| {
            ev.prevent_default();
            choose(browser::dropped(&ev))
        }
    };
    let start = {
        let file = file.clone();
        move |_| browser::upload(file.clone(), doc_type, phase)
    };
    let retry = start.clone();
    let cancel = {
        let file = file.clone();
        move |_| browser::cancel(&file)
    };
    let hint = t_with(lang, "kyc.upload.hint", &[("min", &human_size(limits.min_bytes)), ("max", &human_size(limits.max_bytes))]);
    let busy = move || matches!(phase.get(), Phase::Uploading(_) | Phase::Checking);
    // A file chosen before the page is interactive would not be seen, so the
    // picker is disabled until then; tests (and brokers' QA) wait for
    // `data-ready="true"`.
    let ready = crate::components::interactive();
    let handoff = view! { <super::handoff::PhoneHandoff view=view.clone() doc_type phase/> };
    view! {
        <h2 class="text-lg font-semibold">{t(lang, &format!("kyc.doc.{}", doc_type.as_str()))}</h2>
        <div class="space-y-2 rounded-xl border-2 border-dashed border-border bg-surface p-4" data-testid="kyc-dropzone"
            data-ready=move || ready.get().to_string()
            on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=on_drop>
            <label for="kyc-file" class="block font-medium">{t(lang, "kyc.upload.choose")}</label>
            <input id="kyc-file" type="file" data-testid="kyc-file" accept="image/jpeg,image/png,application/pdf"
                aria-describedby="kyc-hint kyc-file-error" class="block w-full min-h-11" disabled=move || busy() || !ready.get() on:change=on_pick/>
            // The camera: a phone opens it straight away for an input with
            // `capture`; the input stays reachable by keyboard and screen
            // reader, its label is the visible control.
            <input id="kyc-camera" type="file" data-testid="kyc-camera" accept="image/*" capture="environment" class="peer sr-only"
                aria-describedby="kyc-hint kyc-file-error" disabled=move || busy() || !ready.get() on:change=on_camera/>
            <label for="kyc-camera" data-testid="kyc-camera-button"
                class="inline-flex items-center min-h-11 px-4 rounded-lg border border-brand text-brand font-medium cursor-pointer peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-brand peer-disabled:opacity-60">
                {t(lang, "kyc.upload.camera")}
            </label>
            <p class="text-sm text-muted">{t(lang, "kyc.upload.drop")}</p>
            <p id="kyc-hint" class="text-sm text-muted">{hint}</p>
            <FieldMessage id="kyc-file-error" message=Signal::derive(move || match phase.get() {
                Phase::Invalid(e) => Some(error_text(lang, e, &limits)),
                _ => None,
            })/>
        </div>
        {handoff}
        <div data-testid="kyc-preview" class="space-y-2">
            {move || preview.get().map(|p| match p {
                Preview::Image(url) => view! {
                    <img src=url data-testid="kyc-preview-image" alt=t(lang, "kyc.upload.choose") class="max-h-64 rounded-lg border border-border"/>
                }.into_any(),
                Preview::Pdf { name, pages } => view! {
                    <p data-testid="kyc-preview-pdf" class="rounded-lg border border-border bg-surface p-3">
                        {format!("{name} · {}", t_with(lang, "kyc.upload.pages", &[("count", &pages.to_string())]))}
                    </p>
                }.into_any(),
            })}
        </div>
        {move || match phase.get() {
            Phase::Uploading(percent) => view! {
                <div class="space-y-2">
                    <label for="kyc-progress" class="text-sm">{format!("{} {percent}%", t(lang, "kyc.upload.progress"))}</label>
                    <progress id="kyc-progress" data-testid="kyc-progress" max="100" value=percent class="w-full"></progress>
                    <SecondaryButton testid="kyc-cancel" label=t(lang, "kyc.upload.cancel") on:click=cancel.clone()/>
                </div>
            }.into_any(),
            Phase::Ready => view! {
                <PrimaryButton testid="kyc-upload" label=t(lang, "kyc.upload.send") plain=true on:click=start.clone()/>
            }.into_any(),
            // Another photo is taken with the picker or camera above; this
            // one can still be sent.
            Phase::Doubtful(problems) => view! {
                <div role="alert" data-testid="kyc-quality" class="space-y-2 rounded-lg border-2 border-danger p-3">
                    <p class="font-medium">{t(lang, "kyc.quality.intro")}</p>
                    <ul class="list-disc ps-5 space-y-1">
                        {problems.into_iter().map(|p| view! {
                            <li data-testid="kyc-quality-problem" data-problem=p.as_str()>{t(lang, &p.i18n_key())}</li>
                        }).collect_view()}
                    </ul>
                    <SecondaryButton testid="kyc-use-anyway" label=t(lang, "kyc.quality.use_anyway") on:click=move |_| phase.set(Phase::Ready)/>
                </div>
            }.into_any(),
            Phase::Done => view! {
                <p role="status" data-testid="kyc-uploaded" class="font-medium">{t(lang, "kyc.upload.done")}</p>
                <a href="/inapp/kyc/status" data-testid="kyc-to-status" class="block underline min-h-11 py-2">{t(lang, "kyc.status_link")}</a>
            }.into_any(),
            Phase::Failed(e) => view! {
                <p role="alert" class="text-danger" data-testid="kyc-upload-error">
                    {e.map(|e| error_text(lang, e, &limits)).unwrap_or_else(|| t(lang, "kyc.upload.failed"))}
                </p>
                <SecondaryButton testid="kyc-retry" label=t(lang, "kyc.upload.retry") on:click=retry.clone()/>
            }.into_any(),
            Phase::Cancelled => view! {
                <p role="status">{t(lang, "kyc.upload.cancelled")}</p>
                <SecondaryButton testid="kyc-retry" label=t(lang, "kyc.upload.retry") on:click=retry.clone()/>
            }.into_any(),
            _ => ().into_any(),
        }}
    }
}

/// The browser side: File API, object URLs and XMLHttpRequest (fetch has no
/// upload progress). On the server these are inert.
#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    use super::{Phase, Preview};
    use crate::domain::kyc::quality::{self, QualityLimits, QualityProblem};
    use crate::domain::kyc::{check_name, check_size, sniff, DocumentType, FileKind, UploadError, UploadLimits};

    use send_wrapper::SendWrapper;
    pub use web_sys::File;

    /// The chosen file and the request uploading it. Leptos event handlers
    /// must be `Send`; `SendWrapper` makes the browser-only handles so, and
    /// would panic if one were ever touched from another thread.
    #[derive(Clone)]
    pub struct FileSlot(SendWrapper<Rc<RefCell<Slot>>>);

    /// The file picked, and the upload of it in flight.
    type Slot = (Option<File>, Option<web_sys::XmlHttpRequest>);

    impl Default for FileSlot {
        fn default() -> Self {
            FileSlot(SendWrapper::new(Rc::default()))
        }
    }

    pub fn picked(ev: &leptos::ev::Event) -> Option<File> {
        let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
        input.files()?.get(0)
    }

    pub fn dropped(ev: &leptos::ev::DragEvent) -> Option<File> {
        ev.data_transfer()?.files()?.get(0)
    }

    async fn bytes(blob: &web_sys::Blob) -> Option<Vec<u8>> {
        let buf = JsFuture::from(blob.array_buffer()).await.ok()?;
        Some(js_sys::Uint8Array::new(&buf).to_vec())
    }

    async fn load_image(url: &str) -> Option<web_sys::HtmlImageElement> {
        let img = web_sys::HtmlImageElement::new().ok()?;
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            img.set_onload(Some(&resolve));
            img.set_onerror(Some(&reject));
        });
        img.set_src(url);
        JsFuture::from(loaded).await.ok()?;
        Some(img)
    }

    /// The photo's problems, measured as the server measures them: drawn
    /// at most 512 pixels a side on a canvas, then scored in Rust. A
    /// browser that cannot draw it says nothing (the server measures anyway).
    fn photo_problems(img: &web_sys::HtmlImageElement, limits: &QualityLimits) -> Vec<QualityProblem> {
        let (w, h) = (img.natural_width(), img.natural_height());
        let (sw, sh) = quality::measure_size(w, h);
        let measured = (|| {
            let canvas = web_sys::window()?.document()?.create_element("canvas").ok()?.dyn_into::<web_sys::HtmlCanvasElement>().ok()?;
            canvas.set_width(sw);
            canvas.set_height(sh);
            let ctx = canvas.get_context("2d").ok()??.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()?;
            ctx.draw_image_with_html_image_element_and_dw_and_dh(img, 0.0, 0.0, f64::from(sw), f64::from(sh)).ok()?;
            let pixels = ctx.get_image_data(0.0, 0.0, f64::from(sw), f64::from(sh)).ok()?.data();
            Some(quality::measure(&quality::grey_from_rgba(&pixels), sw, sh, w.min(h)))
        })();
        measured.map(|s| quality::problems(&s, limits)).unwrap_or_default()
    }

    fn count_pages(pdf: &[u8]) -> usize {
        let mut n = 0;
        for pat in [&b"/Type /Page"[..], &b"/Type/Page"[..]] {
            n += pdf.windows(pat.len() + 1).filter(|w| w.starts_with(pat) && w[pat.len()] != b's').count();
        }
        n.max(1)
    }

    pub fn choose(
        file: Option<File>,
        slot: FileSlot,
        limits: UploadLimits,
        quality: QualityLimits,
        phase: RwSignal<Phase>,
        preview: RwSignal<Option<Preview>>,
    ) {
        let Some(file) = file else { return };
        if let Some(Preview::Image(old)) = preview.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        preview.set(None);
        slot.0.borrow_mut().0 = None;
        phase.set(Phase::Checking);
        spawn_local(async move {
            let checked = check(&file, &limits, &quality).await;
            match checked {
                Ok((p, problems)) => {
                    preview.set(Some(p));
                    slot.0.borrow_mut().0 = Some(file);
                    phase.set(if problems.is_empty() { Phase::Ready } else { Phase::Doubtful(problems) });
                }
                Err(e) => phase.set(Phase::Invalid(e)),
            }
        });
    }

    async fn check(file: &File, limits: &UploadLimits, quality: &QualityLimits) -> Result<(Preview, Vec<QualityProblem>), UploadError> {
        check_name(&file.name())?;
        let head = file.slice_with_i32_and_i32(0, 16).map_err(|_| UploadError::Corrupt)?;
        let kind = sniff(&bytes(&head).await.ok_or(UploadError::Corrupt)?).ok_or(UploadError::WrongType)?;
        check_size(file.size() as u64, limits)?;
        match kind {
            FileKind::Pdf => {
                let all = bytes(file).await.ok_or(UploadError::Corrupt)?;
                Ok((Preview::Pdf { name: file.name(), pages: count_pages(&all) }, vec![]))
            }
            _ => {
                let url = web_sys::Url::create_object_url_with_blob(file).map_err(|_| UploadError::Corrupt)?;
                let img = load_image(&url).await.ok_or(UploadError::Corrupt)?;
                let (w, h) = (img.natural_width(), img.natural_height());
                if w > limits.max_side || h > limits.max_side {
                    let _ = web_sys::Url::revoke_object_url(&url);
                    return Err(UploadError::BadDimensions);
                }
                let problems = photo_problems(&img, quality);
                Ok((Preview::Image(url), problems))
            }
        }
    }

    pub fn upload(slot: FileSlot, doc_type: DocumentType, phase: RwSignal<Phase>) {
        let Some(file) = slot.0.borrow().0.clone() else { return };
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            phase.set(Phase::Failed(None));
            return;
        };
        let Ok(form) = web_sys::FormData::new() else { return };
        if form.append_with_blob_and_filename("file", &file, &file.name()).is_err() {
            phase.set(Phase::Failed(None));
            return;
        }
        let url = format!("/inapp/kyc/documents?documentType={}", doc_type.as_str());
        if xhr.open("POST", &url).is_err() {
            phase.set(Phase::Failed(None));
            return;
        }
        if let Ok(up) = xhr.upload() {
            let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    phase.set(Phase::Uploading(((e.loaded() / e.total()) * 100.0).floor() as u32));
                }
            });
            up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            on_progress.forget();
        }
        let done_xhr = xhr.clone();
        let on_load = Closure::<dyn FnMut()>::new(move || {
            let status = done_xhr.status().unwrap_or(0);
            if status == 201 {
                phase.set(Phase::Done);
            } else {
                let text = done_xhr.response_text().ok().flatten().unwrap_or_default();
                let code = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["code"].as_str().map(String::from));
                phase.set(Phase::Failed(code.and_then(|c| UploadError::parse_code(&c))));
            }
        });
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        on_load.forget();
        let on_error = Closure::<dyn FnMut()>::new(move || phase.set(Phase::Failed(None)));
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        let on_abort = Closure::<dyn FnMut()>::new(move || phase.set(Phase::Cancelled));
        xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
        on_abort.forget();
        phase.set(Phase::Uploading(0));
        if xhr.send_with_opt_form_data(Some(&form)).is_err() {
            phase.set(Phase::Failed(None));
            return;
        }
        slot.0.borrow_mut().1 = Some(xhr);
    }

    pub fn cancel(slot: &FileSlot) {
        if let Some(xhr) = slot.0.borrow_mut().1.take() {
            let _ = xhr.abort();
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use leptos::prelude::*;

    use super::{Phase, Preview};
    use crate::domain::kyc::quality::QualityLimits;
    use crate::domain::kyc::{DocumentType, UploadLimits};

    pub struct File;

    #[derive(Clone, Default)]
    pub struct FileSlot;

    pub fn picked(_: &leptos::ev::Event) -> Option<File> {
        None
    }
    pub fn dropped(_: &leptos::ev::DragEvent) -> Option<File> {
        None
    }
    pub fn choose(_: Option<File>, _: FileSlot, _: UploadLimits, _: QualityLimits, _: RwSignal<Phase>, _: RwSignal<Option<Preview>>) {}
    pub fn upload(_: FileSlot, _: DocumentType, _: RwSignal<Phase>) {}
    pub fn cancel(_: &FileSlot) {}
}
