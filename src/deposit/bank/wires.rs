//! Recording the bank transfers that arrived: by hand (finance finds the
//! deposit by its reference and enters what the bank received) or from a
//! line of an imported statement. What arrived is credited, less the fee
//! agreed at the start, whether more or less than announced; above the
//! currency's four-eyes amount a second, different finance user approves
//! before anything is credited. Each step is one store transaction, so a
//! deposit is confirmed (and its credit queued) once, whoever clicks twice.

use rust_decimal::Decimal;

use super::camt053;
use crate::domain::CreditorRef;
use crate::state::AppState;
use crate::store::{DepositRecord, NewEntry, NewWire, StaffRecord, StoreError, WireOutcome};

/// Why a wire could not be recorded, as finance reads it (`backoffice.bank.problem.*`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireProblem {
    #[error("the reference's check digits do not match (a typo?)")]
    BadReference,
    #[error("no bank-transfer deposit has this reference")]
    UnknownReference,
    #[error("the amount is not a positive number in the deposit's currency")]
    BadAmount,
    #[error("the amount does not cover the deposit's fee; refund it instead")]
    BelowFee,
    #[error("the statement line is in another currency than the deposit")]
    OtherCurrency,
    #[error("the value date is not a date (YYYY-MM-DD)")]
    BadDate,
    #[error("the statement is not readable: {0}")]
    Statement(String),
    #[error("{0:?}")]
    Refused(WireOutcome),
    #[error("storage: {0}")]
    Store(String),
}

impl WireProblem {
    /// The translation key of the message finance sees.
    pub fn key(&self) -> String {
        let name = match self {
            WireProblem::BadReference => "bad_reference",
            WireProblem::UnknownReference => "unknown_reference",
            WireProblem::BadAmount => "bad_amount",
            WireProblem::BelowFee => "below_fee",
            WireProblem::OtherCurrency => "other_currency",
            WireProblem::BadDate => "bad_date",
            WireProblem::Statement(_) => "statement",
            WireProblem::Refused(WireOutcome::AlreadyRecorded) => "already_recorded",
            WireProblem::Refused(WireOutcome::NotAwaitingFunds) => "not_awaiting",
            WireProblem::Refused(WireOutcome::EntryUsed) => "entry_used",
            WireProblem::Refused(WireOutcome::SameApprover) => "same_approver",
            WireProblem::Refused(WireOutcome::RecordedElsewhere) => "recorded_elsewhere",
            WireProblem::Refused(_) => "not_found",
            WireProblem::Store(_) => "storage",
        };
        format!("backoffice.bank.problem.{name}")
    }
}

impl From<StoreError> for WireProblem {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "bank transfer storage error");
        WireProblem::Store(e.to_string())
    }
}

/// The bank-transfer deposit a reference (as typed or pasted) names.
pub async fn deposit_for(state: &AppState, reference: &str) -> Result<DepositRecord, WireProblem> {
    let reference: CreditorRef = reference.parse().map_err(|_| WireProblem::BadReference)?;
    state.store.deposits.by_payment_id(reference.as_str()).await?.filter(|d| d.provider_payment_id.is_some()).ok_or(WireProblem::UnknownReference)
}

fn valid_date(s: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format).is_ok()
}

/// What arrived, in the deposit's minor units, if it credits anything.
fn received_minor(d: &DepositRecord, amount: Decimal) -> Result<i64, WireProblem> {
    let minor = super::super::service::to_minor(amount, d.digits).filter(|m| *m > 0).ok_or(WireProblem::BadAmount)?;
    if minor <= d.fee_minor {
        return Err(WireProblem::BelowFee);
    }
    Ok(minor)
}

/// Above the currency's four-eyes amount (or with no account configured for
/// it any more), a second finance user must approve.
fn needs_four_eyes(state: &AppState, d: &DepositRecord, minor: i64) -> bool {
    let received = super::super::service::from_minor(minor, d.digits);
    state.settings.payments.bank_transfer.accounts.get(&d.currency).is_none_or(|a| received > a.four_eyes_above)
}

async fn record(
    state: &AppState,
    staff: &StaffRecord,
    d: &DepositRecord,
    minor: i64,
    value_date: &str,
    entry_id: Option<i64>,
) -> Result<WireOutcome, WireProblem> {
    if !valid_date(value_date) {
        return Err(WireProblem::BadDate);
    }
    // Whether the deposit still waits for funds is the store's to decide, in
    // the same transaction that records the wire.
    let new = NewWire {
        deposit_id: d.id.clone(),
        amount_minor: minor,
        value_date: value_date.to_string(),
        entry_id,
        four_eyes: needs_four_eyes(state, d, minor),
        recorded_by: staff.id,
        now: state.clock.now_ms(),
    };
    let outcome = state.store.bank.record_wire(&new).await?;
    settled(state, d, staff, outcome, "recorded")
}

/// Confirmed and awaiting approval are the two ways a step succeeds.
fn settled(state: &AppState, d: &DepositRecord, staff: &StaffRecord, outcome: WireOutcome, what: &str) -> Result<WireOutcome, WireProblem> {
    match outcome {
        WireOutcome::Confirmed => {
            tracing::info!(deposit = %d.id, staff = staff.id, what, "bank transfer confirmed; credit queued");
            state.credit_queued.notify_one();
            Ok(outcome)
        }
        WireOutcome::AwaitingApproval => {
            tracing::info!(deposit = %d.id, staff = staff.id, "bank transfer recorded; a second finance user must approve it");
            Ok(outcome)
        }
        refused => Err(WireProblem::Refused(refused)),
    }
}

/// Finance entered a wire by hand.
pub async fn record_by_hand(state: &AppState, staff: &StaffRecord, reference: &str, amount: &str, value_date: &str) -> Result<WireOutcome, WireProblem> {
    let d = deposit_for(state, reference).await?;
    let amount: Decimal = amount.trim().parse().map_err(|_| WireProblem::BadAmount)?;
    let minor = received_minor(&d, amount)?;
    record(state, staff, &d, minor, value_date.trim(), None).await
}

/// Finance assigns a statement line to a deposit: its own reference when it
/// carries one, else the one finance typed.
pub async fn record_from_entry(state: &AppState, staff: &StaffRecord, entry_id: i64, reference: Option<&str>) -> Result<WireOutcome, WireProblem> {
    let entry = state.store.bank.entry(entry_id).await?.ok_or(WireProblem::Refused(WireOutcome::NotFound))?;
    if entry.wire_id.is_some() {
        return Err(WireProblem::Refused(WireOutcome::EntryUsed));
    }
    // Whether the line's money already paid another deposit is the store's
    // to decide, in the transaction that records.
    let typed = reference.map(str::trim).filter(|r| !r.is_empty());
    let reference = typed.or(entry.reference.as_deref()).ok_or(WireProblem::UnknownReference)?;
    let d = deposit_for(state, reference).await?;
    if !entry.currency.eq_ignore_ascii_case(d.currency.as_str()) {
        return Err(WireProblem::OtherCurrency);
    }
    let amount: Decimal = entry.amount.parse().map_err(|_| WireProblem::BadAmount)?;
    let minor = received_minor(&d, amount)?;
    record(state, staff, &d, minor, &entry.value_date, Some(entry.id)).await
}

/// A second finance user approves a wire above the four-eyes amount.
pub async fn approve(state: &AppState, staff: &StaffRecord, wire_id: i64) -> Result<WireOutcome, WireProblem> {
    let wire = state.store.bank.wire(wire_id).await?.ok_or(WireProblem::Refused(WireOutcome::NotFound))?;
    let d = state.store.deposits.get(&wire.deposit_id).await?.ok_or(WireProblem::Refused(WireOutcome::NotFound))?;
    let outcome = state.store.bank.approve_wire(wire_id, staff.id, state.clock.now_ms()).await?;
    settled(state, &d, staff, outcome, "approved")
}

/// Imports a camt.053 statement: every line, or none when the file does not
/// parse (it is read whole before anything is written).
/// Returns how many lines were new (re-importing a file adds none).
pub async fn import_statement(state: &AppState, xml: String) -> Result<u64, WireProblem> {
    // Parsing megabytes of XML is CPU work: on the blocking pool, not on a
    // runtime thread other requests are waiting for.
    let parsed = tokio::task::spawn_blocking(move || camt053::parse(&xml)).await.map_err(|e| WireProblem::Store(e.to_string()))?;
    let mut lines: Vec<NewEntry> = parsed.map_err(|e| WireProblem::Statement(e.0))?;
    // A line's free text can hold more than one checksum-valid RF string; keep
    // the one naming a deposit of ours. Looked up in one query per 500.
    let candidates: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let mut all: Vec<String> = l.reference.iter().cloned().collect();
            all.extend(CreditorRef::candidates_in(&l.remittance).into_iter().map(|c| c.as_str().to_string()));
            all
        })
        .collect();
    let wanted: Vec<String> = candidates.iter().flatten().cloned().collect();
    let ours = state.store.deposits.known_payment_ids(&wanted).await?;
    for (line, candidates) in lines.iter_mut().zip(candidates) {
        if let Some(hit) = candidates.into_iter().find(|c| ours.contains(c)) {
            line.reference = Some(hit);
        }
    }
    Ok(state.store.bank.import_entries(&lines, state.clock.now_ms()).await?)
}
