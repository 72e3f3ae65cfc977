//! Sample data for the gallery and the view of each screen state, built
//! from the screens' own components.

use std::collections::BTreeMap;

use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::{Card, Frame};
use crate::config::Settings;
use crate::domain::action::FieldError;
use crate::domain::kyc::{CaseState, DetailError, DetailField, DocumentType, KycEvent, KycView, Requirement, RequirementState, UploadError, UploadLimits};
use crate::domain::withdrawal::{CardOption, Destination, RejectReason};
use crate::domain::{AmountError, DepositForm, DepositState, DepositView, ErrorCode, Lang, TraderView};
use crate::domain::{Currency, Login, WithdrawalForm, WithdrawalState, WithdrawalView};
use crate::i18n::t;
use crate::screens::action::{Action, ActionPreview, UnknownAction};
use crate::screens::deposit::form::{DepositFormView, FormPreview};
use crate::screens::deposit::progress::DepositStatusView;
use crate::screens::deposit::recent::RecentDeposits;
use crate::screens::kyc::upload::{Phase, Preview, Uploader};
use crate::screens::kyc::{KycHome, KycStatus};
use crate::screens::withdrawal::form::WithdrawalFormView;
use crate::screens::withdrawal::list::Withdrawals;
use crate::screens::{DoneKind, DonePage, ErrorPage};

const SAMPLE_LOGIN: Login = match Login::new(100_001) {
    Some(l) => l,
    None => unreachable!(),
};

/// An hour ago, in a fixed place: the gallery looks the same on every reload.
const SAMPLE_MS: i64 = 1_795_000_000_000;

pub fn trader() -> TraderView {
    TraderView {
        name: Some("Alex Morgan".into()),
        login: SAMPLE_LOGIN,
        user_id: 4_100_001,
        trader_id: Some(7_100_001),
        account_id: Some(100_001),
        currency: Some("USD".into()),
        switched_from: None,
    }
}

/// The sample account's currency: USD, or the first one the broker configured.
fn currency(settings: &Settings) -> Currency {
    let usd: Currency = "USD".parse().expect("a currency code");
    if settings.deposit.currencies.contains_key(&usd) {
        usd
    } else {
        settings.deposit.currencies.keys().next().cloned().unwrap_or(usd)
    }
}

fn deposit_form(settings: &Settings, recent: Vec<DepositView>) -> Option<DepositForm> {
    let currency = currency(settings);
    let methods = settings.methods_for(&currency);
    if methods.is_empty() {
        return None;
    }
    Some(DepositForm {
        login: SAMPLE_LOGIN,
        balance: Some(Decimal::new(125_050, 2)),
        currency,
        methods,
        idempotency_key: "gallery-sample-key-0000000000".into(),
        recent,
        level: None,
    })
}

/// A bank transfer waiting for the trader's money, with sample details.
fn bank_transfer_status() -> crate::server_fns::deposit::DepositStatus {
    let mut view = deposit(4, 25_000, DepositState::AwaitingFunds, 2);
    view.currency = "EUR".parse().expect("a currency code");
    crate::server_fns::deposit::DepositStatus {
        deposit: view,
        success_url: "/done/success".into(),
        failure_url: "/done/failure".into(),
        bank: Some(crate::domain::BankInstructions {
            beneficiary: "Example Broker Ltd".into(),
            account: "DE89 3704 0044 0532 0130 00".into(),
            bic: "COBADEFFXXX".into(),
            bank_name: "Example Bank AG".into(),
            reference: "RF18 5390 0754 7034".into(),
            amount: Decimal::new(25_000, 2),
        }),
    }
}

/// Sample deposit `n`, with an id of the real shape.
fn deposit(n: u32, minor: i64, state: DepositState, minutes_ago: i64) -> DepositView {
    DepositView {
        id: format!("dep_{n:032x}").parse().expect("a deposit id"),
        amount: Decimal::new(minor, 2),
        currency: "USD".parse().expect("a currency code"),
        state,
        created_at_ms: SAMPLE_MS - minutes_ago * 60_000,
    }
}

/// Sample withdrawal `n` to the sample IBAN.
fn withdrawal(n: u32, minor: i64, state: WithdrawalState, reason: Option<RejectReason>, minutes_ago: i64) -> WithdrawalView {
    WithdrawalView {
        id: format!("wd_{n:032x}").parse().expect("a withdrawal id"),
        amount: Decimal::new(minor, 2),
        currency: "USD".parse().expect("a currency code"),
        state,
        destination: Destination::Bank("DE89 … 3000".into()),
        reason,
        created_at_ms: SAMPLE_MS - minutes_ago * 60_000,
    }
}

/// The withdrawal form with a balance, an open request holding part of it, and a card to pay back to.
fn withdrawal_form(settings: &Settings, recent: Vec<WithdrawalView>) -> Option<WithdrawalForm> {
    let currency = currency(settings);
    let mut rule = settings.currency_rule(&currency)?;
    let (balance, available) = (Decimal::new(125_050, 2), Decimal::new(95_050, 2));
    rule.max = rule.max.min(available);
    rule.fee_percent = Decimal::ZERO;
    rule.presets.clear();
    let card = CardOption {
        deposit: format!("dep_{:032x}", 2).parse().expect("a deposit id"),
        amount: Decimal::new(50_000, 2),
        created_at_ms: SAMPLE_MS - 3 * 24 * 3_600_000,
    };
    Some(WithdrawalForm { currency, balance, available, rule, cards: vec![card], idempotency_key: "gallery-sample-key-0000000000".into(), recent })
}

fn requirement(kind: &str, state: RequirementState, reason: Option<&str>) -> Requirement {
    Requirement { kind: kind.into(), state, reason: reason.map(String::from), final_rejection: false, file_name: None }
}

fn event(action: &str, subject: Option<&str>, minutes_ago: i64) -> KycEvent {
    KycEvent { at_ms: SAMPLE_MS - minutes_ago * 60_000, action: action.into(), subject: subject.map(String::from), reason: None }
}

/// The KYC case in one of its states.
fn kyc(state: &str) -> KycView {
    use RequirementState::*;
    let details: BTreeMap<String, String> =
        [("full_name", "Alex Morgan"), ("date_of_birth", "1988-05-14"), ("address", "12 Harbour Street, Limassol 3036"), ("country", "CY")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let (case, reqs, timeline, note, filled): (CaseState, [RequirementState; 3], Vec<KycEvent>, Option<&str>, bool) = match state {
        "empty" => (CaseState::NotStarted, [Missing, Missing, Missing], vec![], None, false),
        "filled" => (CaseState::InProgress, [Uploaded, Missing, Missing], vec![event("details_saved", None, 5)], None, true),
        "error" => (
            CaseState::MoreInfo,
            [Uploaded, Accepted, Rejected],
            vec![
                event("details_saved", None, 90),
                event("document_uploaded", Some("identity"), 80),
                event("document_uploaded", Some("address"), 79),
                event("document_accepted", Some("identity"), 20),
                event("document_rejected", Some("address"), 19),
            ],
            None,
            true,
        ),
        "in_progress" => (
            CaseState::Submitted,
            [Uploaded, Uploaded, Uploaded],
            vec![event("details_saved", None, 30), event("document_uploaded", Some("identity"), 25), event("document_uploaded", Some("address"), 24)],
            None,
            true,
        ),
        _ => (
            CaseState::Approved,
            [Accepted, Accepted, Accepted],
            vec![
                event("details_saved", None, 300),
                event("document_uploaded", Some("identity"), 290),
                event("document_uploaded", Some("address"), 289),
                event("approved", None, 10),
            ],
            None,
            true,
        ),
    };
    let reason = (state == "error").then_some("The bill is older than three months.");
    KycView {
        kyc_type: "standard".into(),
        state: case,
        fields: vec![DetailField::FullName, DetailField::DateOfBirth, DetailField::Address, DetailField::Country],
        details: if filled { details } else { BTreeMap::new() },
        requirements: vec![requirement("details", reqs[0], None), requirement("identity", reqs[1], None), requirement("address", reqs[2], reason)],
        timeline,
        note: note.map(String::from),
        min_age: 18,
        today: "2026-11-23".into(),
        limits: UploadLimits { max_bytes: 10 * 1024 * 1024, min_bytes: 32 * 1024, max_side: 8000 },
        quality: crate::domain::kyc::quality::QualityLimits {
            min_sharpness: 60.0,
            min_brightness: 50.0,
            max_brightness: 225.0,
            max_glare: 0.03,
            min_side: 600,
            min_coverage: 0.3,
        },
        back: None,
    }
}

/// The body of the gallery view for `screen` in `state`.
pub fn render(settings: &Settings, lang: Lang, screen: &str, state: &str) -> AnyView {
    let title = |key: &str| t(lang, &format!("screen.{key}.title"));
    match screen {
        "deposit" => {
            let (preview, recent) = match state {
                "filled" => (FormPreview { amount: "250.00".into(), ..Default::default() }, vec![deposit(2, 50_000, DepositState::Credited, 60 * 24)]),
                "error" => (FormPreview { amount: "10.005".into(), show_error: true, ..Default::default() }, vec![]),
                "in_progress" => (
                    FormPreview { amount: "250.00".into(), submitting: true, ..Default::default() },
                    vec![deposit(3, 25_000, DepositState::Pending, 1), deposit(2, 50_000, DepositState::Credited, 60 * 24)],
                ),
                "success" => return view! { <DonePage kind=DoneKind::Success/> }.into_any(),
                // Back from the form with bank details: what the trader copies into their bank.
                "bank_transfer" => {
                    let status = bank_transfer_status();
                    return view! {
                        <Frame title=title("deposit")>
                            <Card class="space-y-2"><DepositStatusView status/></Card>
                        </Frame>
                    }
                    .into_any();
                }
                _ => (FormPreview::default(), vec![]),
            };
            let Some(form) = deposit_form(settings, recent.clone()) else {
                return view! { <ErrorPage code=ErrorCode::NotFound/> }.into_any();
            };
            view! {
                <Frame title=title("deposit")>
                    <DepositFormView form preview/>
                    <RecentDeposits initial=recent/>
                </Frame>
            }
            .into_any()
        }
        // Empty, and with a withdrawal in each state the trader can see.
        "withdraw" => {
            let recent = match state {
                "filled" => vec![
                    withdrawal(6, 30_000, WithdrawalState::Requested, None, 5),
                    withdrawal(5, 20_000, WithdrawalState::Approved, None, 60),
                    withdrawal(4, 15_000, WithdrawalState::Debited, None, 60 * 3),
                    withdrawal(3, 10_000, WithdrawalState::Paid, None, 60 * 24),
                    withdrawal(2, 90_000, WithdrawalState::Rejected, Some(RejectReason::Finance("Please use an account in your own name.".into())), 60 * 48),
                    withdrawal(1, 5_000, WithdrawalState::Cancelled, None, 60 * 72),
                ],
                _ => vec![],
            };
            let Some(form) = withdrawal_form(settings, recent.clone()) else {
                return view! { <ErrorPage code=ErrorCode::NotFound/> }.into_any();
            };
            let items = RwSignal::new(recent);
            view! {
                <Frame title=title("withdraw")>
                    <WithdrawalFormView form on_requested=Callback::new(|_: WithdrawalView| {})/>
                    <Withdrawals items/>
                </Frame>
            }
            .into_any()
        }
        "kyc" => {
            let errors = (state == "error").then(|| {
                [("full_name", DetailError::Missing), ("date_of_birth", DetailError::Underage)]
                    .into_iter()
                    .map(|(k, e)| (k.to_string(), e))
                    .collect::<BTreeMap<_, _>>()
            });
            let case = kyc(if state == "error" { "empty" } else { state });
            view! {
                <Frame title=title("kyc")>
                    <p class="text-muted">{t(lang, "screen.kyc.lead")}</p>
                    <KycHome initial=case preview_errors=errors.unwrap_or_default()/>
                </Frame>
            }
            .into_any()
        }
        "kyc_upload" => {
            let pdf = Some(Preview::Pdf { name: "utility-bill.pdf".into(), pages: 2 });
            let shown = match state {
                "filled" => (Phase::Ready, pdf),
                "error" => (Phase::Invalid(UploadError::TooSmall), None),
                "in_progress" => (Phase::Uploading(40), pdf),
                "success" => (Phase::Done, pdf),
                _ => (Phase::Empty, None),
            };
            view! {
                <Frame title=title("kyc_upload")>
                    <p class="text-muted">{t(lang, "screen.kyc_upload.lead")}</p>
                    <Uploader view=kyc("filled") doc_type=DocumentType::Address preview_state=shown/>
                </Frame>
            }
            .into_any()
        }
        "kyc_status" => {
            let case = kyc(state);
            view! {
                <Frame title=title("kyc_status")>
                    <p class="text-muted">{t(lang, "screen.kyc_status.lead")}</p>
                    <KycStatus initial=case/>
                </Frame>
            }
            .into_any()
        }
        "action" => {
            let body = match state {
                "unknown" => view! { <UnknownAction/> }.into_any(),
                "handoff" => match crate::broker_actions::service::view(settings, "client_area", lang) {
                    Ok(v) => view! { <Action view=v/> }.into_any(),
                    Err(_) => view! { <UnknownAction/> }.into_any(),
                },
                _ => {
                    let preview = match state {
                        "error" => ActionPreview {
                            errors: [
                                ("amount".to_string(), FieldError::Amount(AmountError::TooManyDecimals { digits: 2 })),
                                ("to".to_string(), FieldError::Missing),
                            ]
                            .into_iter()
                            .collect(),
                            done: None,
                        },
                        "success" => ActionPreview { done: Some("req_3f9c2a7be41d4c0f9a5e2b7c1d8e6f01".into()), ..Default::default() },
                        _ => ActionPreview::default(),
                    };
                    match crate::broker_actions::service::view(settings, "transfer", lang) {
                        Ok(v) => view! { <Action view=v preview/> }.into_any(),
                        Err(_) => view! { <UnknownAction/> }.into_any(),
                    }
                }
            };
            view! { <Frame title=title("action")>{body}</Frame> }.into_any()
        }
        "chat" => {
            use crate::domain::chat::{Author, ChatAttachment, ChatMessage, ChatView, ConversationState, MessageError, Receipts};
            use crate::screens::chat::{ChatPreview, Pending};
            let msg = |seq: i64, author: Author, body: &str| ChatMessage {
                seq,
                client_id: format!("sample-{seq:04}"),
                author,
                author_name: (author == Author::Staff).then(|| "anna".to_string()),
                body: body.to_string(),
                attachment: None,
                at_ms: 1_795_000_000_000 + seq * 60_000,
            };
            let messages = if state == "empty" {
                vec![]
            } else {
                let mut pdf = msg(3, Author::Trader, "");
                pdf.attachment = Some(ChatAttachment {
                    id: "att_00000000000000000000000000000000".into(),
                    file_name: "statement.pdf".into(),
                    kind: crate::domain::kyc::FileKind::Pdf,
                    size: 120_000,
                });
                vec![
                    msg(1, Author::Trader, "Hello, my deposit has not arrived yet."),
                    msg(2, Author::Staff, "Hi! Could you send the bank statement, please?"),
                    pdf,
                    msg(4, Author::Staff, "Thank you, I am checking it now."),
                ]
            };
            let view = ChatView {
                messages,
                receipts: Receipts { delivered: 3, read: if state == "filled" { 3 } else { 1 } },
                state: ConversationState { closed: false, agent: (state != "empty").then(|| "anna".to_string()) },
                max_chars: settings.chat.max_message_chars,
                outbox_key: String::new(),
                form_client_id: String::new(),
            };
            let pending = match state {
                "in_progress" => vec![Pending { client_id: "sample-pending".into(), body: "Sent while offline".into(), attachment: None, error: None }],
                "error" => vec![Pending {
                    client_id: "sample-refused".into(),
                    body: "A very long message …".into(),
                    attachment: None,
                    error: Some(MessageError::TooLong),
                }],
                _ => vec![],
            };
            let (offline, typing) = (state == "in_progress", state == "filled");
            view! {
                <Frame title=title("chat")>
                    <p class="text-muted">{t(lang, "screen.chat.lead")}</p>
                    <ChatPreview view offline typing pending/>
                </Frame>
            }
            .into_any()
        }
        "token_error" => view! { <ErrorPage code=ErrorCode::TokenExpired/> }.into_any(),
        _ => match state {
            "error" => view! { <DonePage kind=DoneKind::Failure/> }.into_any(),
            _ => view! { <DonePage kind=DoneKind::Success/> }.into_any(),
        },
    }
}
