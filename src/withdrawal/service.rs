//! The withdrawal service: the trader's form, request and cancel; finance's
//! approve, reject and mark paid. Server functions and back-office pages
//! call these; every state change is one store transaction.

use rust_decimal::Decimal;

use crate::deposit::service::{depositable, from_minor, to_minor};
use crate::domain::withdrawal::{parse_holder, parse_iban, CardOption, Destination, Payout, PayoutError, RejectReason};
use crate::domain::{parse_amount, AmountError, CurrencyRule, DepositState, Login, MethodKind, WithdrawalForm, WithdrawalId, WithdrawalState, WithdrawalView};
use crate::errors::AppError;
use crate::session::Session;
use crate::state::AppState;
use crate::store::{Decision, DepositRecord, RequestOutcome, StaffRecord, StoreError, WithdrawalRecord};

fn internal(e: StoreError) -> AppError {
    tracing::error!(error = %e, "withdrawal storage error");
    AppError::Internal
}

/// How many of a trader's withdrawals the screen lists.
const LISTED: i64 = 20;
/// How many card deposits are offered to be paid back to.
const CARDS: i64 = 50;

/// What the trader may take now: the currency's rule, its maximum lowered
/// to what cTrader reports less the requests not yet debited.
struct Room {
    currency: crate::domain::Currency,
    balance: Decimal,
    available: Decimal,
    rule: CurrencyRule,
    balance_minor: i64,
}

/// Which balance a [`Room`] starts from: the one screens show (a few
/// seconds old at most, for the form) or cTrader's now (for a request).
#[derive(Clone, Copy)]
enum Balance {
    Shown,
    Now,
}

async fn room(state: &AppState, login: Login, balance: Balance) -> Result<Room, AppError> {
    let trader = match balance {
        Balance::Shown => state.ctrader.trader_shown(login).await,
        Balance::Now => state.ctrader.trader(login).await,
    };
    let trader = trader.map_err(|e| {
        tracing::warn!(error = %e, "trader read for a withdrawal failed");
        AppError::PlatformUnavailable
    })?;
    let currency = depositable(&trader.deposit_currency)?;
    let mut rule = state.settings.currency_rule(&currency).ok_or_else(|| AppError::CurrencyNotSupported(currency.to_string()))?;
    // cTrader's balance in the currency's minor units, rounded down: a
    // fraction of a cent the broker cannot pay out is not offered.
    let balance = trader.balance_decimal();
    let balance_minor = to_minor(balance.trunc_with_scale(rule.digits), rule.digits).unwrap_or(0).max(0);
    let held = state.store.withdrawals.held_minor(login).await.map_err(internal)?;
    let available = from_minor((balance_minor - held).max(0), rule.digits);
    rule.max = rule.max.min(available);
    rule.fee_percent = Decimal::ZERO;
    rule.presets.clear();
    Ok(Room { currency, balance: from_minor(balance_minor, rule.digits), available, rule, balance_minor })
}

fn is_card(state: &AppState, d: &DepositRecord) -> bool {
    let kind = state.settings.deposit.methods.iter().find(|m| m.name == d.method).map(|m| m.kind);
    matches!(kind, Some(MethodKind::Sandbox | MethodKind::StripeCheckout))
}

/// A card the trader can be paid back to, and how much of its deposit is
/// left to take back (less what was already requested to it).
struct Card {
    deposit: DepositRecord,
    left_minor: i64,
}

/// The trader's credited card deposits with something left to take back,
/// newest first, where the broker pays back to cards.
async fn cards(state: &AppState, login: Login) -> Result<Vec<Card>, AppError> {
    if !state.settings.withdrawals.card_payouts {
        return Ok(vec![]);
    }
    let recent = state.store.deposits.recent(login, CARDS).await.map_err(internal)?;
    let taken = state.store.withdrawals.card_payouts_minor(login).await.map_err(internal)?;
    Ok(recent
        .into_iter()
        .filter(|d| d.state == DepositState::Credited && is_card(state, d))
        .map(|d| Card { left_minor: credited_minor(&d) - taken.get(&d.id).copied().unwrap_or(0), deposit: d })
        .filter(|c| c.left_minor > 0)
        .collect())
}

/// What a card deposit paid in: the most its card can be paid back.
fn credited_minor(d: &DepositRecord) -> i64 {
    d.confirmed_minor.unwrap_or(d.requested_minor)
}

pub async fn form(state: &AppState, session: &Session) -> Result<WithdrawalForm, AppError> {
    let login = session.trader.login;
    crate::limits::check_withdrawals(state, login).await?;
    let room = room(state, login, Balance::Shown).await?;
    let cards = cards(state, login)
        .await?
        .into_iter()
        .map(|c| CardOption { amount: from_minor(c.left_minor, c.deposit.digits), created_at_ms: c.deposit.created_at, deposit: c.deposit.id })
        .collect();
    Ok(WithdrawalForm {
        currency: room.currency,
        balance: room.balance,
        available: room.available,
        rule: room.rule,
        cards,
        idempotency_key: new_key(),
        recent: list(state, login).await?,
    })
}

pub fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn valid_key(key: &str) -> bool {
    (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The payout the form describes: `kind` is `bank` (with IBAN and holder) or
/// `card` (with a deposit id), and for a card the deposit's amount in minor
/// units (what it can take back in all).
pub async fn payout(state: &AppState, login: Login, kind: &str, iban: &str, holder: &str, card: &str) -> Result<(Payout, Option<(i64, Decimal)>), AppError> {
    match kind {
        "bank" => {
            let iban = parse_iban(iban).map_err(AppError::InvalidPayout)?;
            let holder = parse_holder(holder).map_err(AppError::InvalidPayout)?;
            Ok((Payout::Bank { iban, holder }, None))
        }
        "card" => {
            let unknown = AppError::InvalidPayout(PayoutError::UnknownCard);
            let id = card.parse().map_err(|_| unknown.clone())?;
            let c = cards(state, login).await?.into_iter().find(|c| c.deposit.id == id).ok_or(unknown)?;
            // A card takes back at most what it paid in, less what was already asked back.
            let left = from_minor(c.left_minor, c.deposit.digits);
            Ok((Payout::Card { deposit: c.deposit.id.clone() }, Some((credited_minor(&c.deposit), left))))
        }
        _ => Err(AppError::InvalidRequest),
    }
}

/// Above the currency's four-eyes amount (or in a currency without one), two finance users approve.
fn needs_four_eyes(state: &AppState, currency: &crate::domain::Currency, amount: Decimal) -> bool {
    state.settings.withdrawals.four_eyes_above.get(currency).is_none_or(|limit| amount > *limit)
}

/// What the trader asked for, from the form's fields.
pub struct Request<'a> {
    pub amount: &'a str,
    pub payout: &'a str,
    pub iban: &'a str,
    pub holder: &'a str,
    pub card: &'a str,
    pub key: &'a str,
}

/// Records the request (once per form key), within the balance cTrader reports now.
pub async fn request(state: &AppState, session: &Session, r: Request<'_>) -> Result<WithdrawalView, AppError> {
    if !valid_key(r.key) {
        return Err(AppError::InvalidRequest);
    }
    let login = session.trader.login;
    crate::limits::check_withdrawals(state, login).await?;
    let room = room(state, login, Balance::Now).await?;
    let (payout, card_limit) = payout(state, login, r.payout, r.iban, r.holder, r.card).await?;
    let mut rule = room.rule.clone();
    if let Some((_, left)) = card_limit {
        rule.max = rule.max.min(left);
    }
    let amount = parse_amount(r.amount, &rule).map_err(AppError::InvalidAmount)?;
    let now = state.clock.now_ms();
    let (iban, holder, card_deposit_id) = match &payout {
        Payout::Bank { iban, holder } => (Some(iban.as_str().to_string()), Some(holder.clone()), None),
        Payout::Card { deposit } => (None, None, Some(deposit.clone())),
    };
    let new = WithdrawalRecord {
        id: WithdrawalId::generate(),
        login,
        user_id: session.trader.user_id,
        idempotency_key: r.key.to_string(),
        currency: room.currency.clone(),
        digits: rule.digits,
        amount_minor: to_minor(amount, rule.digits).ok_or(AppError::InvalidRequest)?,
        payout: if matches!(payout, Payout::Bank { .. }) { "bank" } else { "card" }.to_string(),
        iban,
        holder,
        card_deposit_id,
        state: WithdrawalState::Requested,
        reject_code: None,
        reason: None,
        four_eyes: needs_four_eyes(state, &room.currency, amount),
        first_approved_by: None,
        approved_by: None,
        approved_at: None,
        rejected_by: None,
        balance_history_id: None,
        paid_reference: None,
        paid_by: None,
        paid_at: None,
        created_at: now,
        updated_at: now,
    };
    match state.store.withdrawals.request(&new, room.balance_minor, card_limit.map(|(all, _)| all)).await.map_err(internal)? {
        RequestOutcome::Created(w) => {
            tracing::info!(withdrawal = %w.id, login = %login, four_eyes = w.four_eyes, "withdrawal requested");
            Ok(view(&w, &[]))
        }
        // The same form again: the same request, unless it asked for something else.
        RequestOutcome::Existing(w) if same_request(&w, &new) => Ok(view(&w, &[])),
        RequestOutcome::Existing(_) => Err(AppError::AlreadySubmitted),
        RequestOutcome::OverBalance { available_minor } | RequestOutcome::OverCard { available_minor } => {
            Err(AppError::InvalidAmount(AmountError::AboveMax { max: from_minor(available_minor, rule.digits) }))
        }
        RequestOutcome::TooManyOpen => Err(AppError::TooManyOpenWithdrawals),
    }
}

/// The form sent again asks for the same: amount and destination.
fn same_request(stored: &WithdrawalRecord, new: &WithdrawalRecord) -> bool {
    (stored.amount_minor, &stored.payout, &stored.iban, &stored.holder, &stored.card_deposit_id)
        == (new.amount_minor, &new.payout, &new.iban, &new.holder, &new.card_deposit_id)
}

/// The trader takes a request back while finance has not approved it.
pub async fn cancel(state: &AppState, session: &Session, id: &str) -> Result<WithdrawalView, AppError> {
    let id: WithdrawalId = id.parse().map_err(|_| AppError::NotFound)?;
    let login = session.trader.login;
    let w = state.store.withdrawals.get(&id).await.map_err(internal)?.filter(|w| w.login == login).ok_or(AppError::NotFound)?;
    if !state.store.withdrawals.cancel(&id, login, state.clock.now_ms()).await.map_err(internal)? {
        return Err(AppError::NotCancellable);
    }
    tracing::info!(withdrawal = %w.id, "withdrawal cancelled by the trader");
    let w = state.store.withdrawals.get(&id).await.map_err(internal)?.ok_or(AppError::NotFound)?;
    Ok(view(&w, &[]))
}

/// The trader's withdrawals, newest first.
pub async fn list(state: &AppState, login: Login) -> Result<Vec<WithdrawalView>, AppError> {
    let all = state.store.withdrawals.for_login(login, LISTED).await.map_err(internal)?;
    let cards = state.store.deposits.recent(login, CARDS).await.map_err(internal)?;
    Ok(all.iter().map(|w| view(w, &cards)).collect())
}

/// A record as the trader sees it; `deposits` date a card payout (absent: its id's deposit is not dated).
pub fn view(w: &WithdrawalRecord, deposits: &[DepositRecord]) -> WithdrawalView {
    let destination = match (&w.iban, &w.card_deposit_id) {
        (Some(iban), _) => Destination::Bank(iban.parse().map(|i| crate::domain::withdrawal::masked_iban(&i)).unwrap_or_default()),
        (None, Some(d)) => Destination::Card { deposit_at_ms: deposits.iter().find(|r| r.id == *d).map_or(0, |r| r.created_at) },
        (None, None) => Destination::Bank(String::new()),
    };
    let reason = match w.reject_code.as_deref() {
        Some("finance") => Some(RejectReason::Finance(w.reason.clone().unwrap_or_default())),
        Some("insufficient_balance") => Some(RejectReason::InsufficientBalance),
        Some(_) => Some(RejectReason::Platform),
        None => None,
    };
    WithdrawalView {
        id: w.id.clone(),
        amount: from_minor(w.amount_minor, w.digits),
        currency: w.currency.clone(),
        state: w.state,
        destination,
        reason,
        created_at_ms: w.created_at,
    }
}

/// Why a finance step was refused (`backoffice.withdrawals.problem.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinanceProblem {
    ReasonMissing,
    ReferenceMissing,
    SameApprover,
    WrongState,
    NotFound,
    /// Not saved (logged where it happened): the error page, not a reason.
    Storage,
}

impl FinanceProblem {
    pub fn key(self) -> &'static str {
        match self {
            FinanceProblem::ReasonMissing => "backoffice.withdrawals.problem.reason_missing",
            FinanceProblem::ReferenceMissing => "backoffice.withdrawals.problem.reference_missing",
            FinanceProblem::SameApprover => "backoffice.withdrawals.problem.same_approver",
            FinanceProblem::WrongState => "backoffice.withdrawals.problem.wrong_state",
            FinanceProblem::NotFound | FinanceProblem::Storage => "backoffice.withdrawals.problem.not_found",
        }
    }
}

fn settled(d: Decision) -> Result<Decision, FinanceProblem> {
    match d {
        Decision::Done | Decision::AwaitingSecond => Ok(d),
        Decision::SameApprover => Err(FinanceProblem::SameApprover),
        Decision::WrongState => Err(FinanceProblem::WrongState),
        Decision::NotFound => Err(FinanceProblem::NotFound),
    }
}

fn parse_id(id: &str) -> Result<WithdrawalId, FinanceProblem> {
    id.parse().map_err(|_| FinanceProblem::NotFound)
}

/// One line of text from a form: trimmed, control characters refused, at most `max` characters.
fn one_line(text: &str, max: usize) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.chars().count() <= max && !t.chars().any(char::is_control)).then(|| t.to_string())
}

pub async fn approve(state: &AppState, staff: &StaffRecord, id: &str) -> Result<Decision, FinanceProblem> {
    let id = parse_id(id)?;
    let d = state.store.withdrawals.approve(&id, staff.id, state.clock.now_ms()).await.map_err(|e| {
        tracing::error!(error = %e, "withdrawal approval not saved");
        FinanceProblem::Storage
    })?;
    let d = settled(d)?;
    if d == Decision::Done {
        tracing::info!(withdrawal = %id, staff = staff.id, "withdrawal approved; debit queued");
        state.debit_queued.notify_one();
    } else {
        tracing::info!(withdrawal = %id, staff = staff.id, "withdrawal's first approval; a second finance user must approve");
    }
    Ok(d)
}

pub async fn reject(state: &AppState, staff: &StaffRecord, id: &str, reason: &str) -> Result<Decision, FinanceProblem> {
    let id = parse_id(id)?;
    let reason = one_line(reason, 500).ok_or(FinanceProblem::ReasonMissing)?;
    let d = state.store.withdrawals.reject(&id, staff.id, &reason, state.clock.now_ms()).await.map_err(|e| {
        tracing::error!(error = %e, "withdrawal rejection not saved");
        FinanceProblem::Storage
    })?;
    let d = settled(d)?;
    tracing::info!(withdrawal = %id, staff = staff.id, "withdrawal rejected by finance");
    Ok(d)
}

pub async fn mark_paid(state: &AppState, staff: &StaffRecord, id: &str, reference: &str) -> Result<Decision, FinanceProblem> {
    let id = parse_id(id)?;
    let reference = one_line(reference, 64).ok_or(FinanceProblem::ReferenceMissing)?;
    let d = state.store.withdrawals.mark_paid(&id, staff.id, &reference, state.clock.now_ms()).await.map_err(|e| {
        tracing::error!(error = %e, "withdrawal payout not saved");
        FinanceProblem::Storage
    })?;
    let d = settled(d)?;
    tracing::info!(withdrawal = %id, staff = staff.id, "withdrawal paid out");
    Ok(d)
}
