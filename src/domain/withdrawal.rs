//! Withdrawals as the trader and finance see them. A withdrawal is a debit:
//! done twice the trader loses money, lost the broker does, so it travels the
//! same road as a deposit's credit (an outbox, leases, lookup before retry),
//! in the other direction.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Currency, CurrencyRule, DepositId, Iban, WithdrawalId};

/// Where a withdrawal is in its life:
/// `Requested → Approved → Debited → Paid`, or `Requested → Rejected |
/// Cancelled`, or `Approved → Rejected` when cTrader refuses the debit (not
/// enough free balance by then; nothing was taken, nothing is paid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WithdrawalState {
    /// Waiting for finance (with four eyes: for the second approval too).
    /// The trader can still cancel it.
    Requested,
    /// Finance approved it; the trading account is being debited.
    Approved,
    /// The debit is in cTrader; finance sends the money.
    Debited,
    /// Finance sent the money (the bank's reference is recorded).
    Paid,
    /// Refused by finance, or by cTrader at the debit; the reason is shown.
    Rejected,
    /// The trader withdrew the request before it was approved.
    Cancelled,
}

impl WithdrawalState {
    pub const ALL: [WithdrawalState; 6] = [
        WithdrawalState::Requested,
        WithdrawalState::Approved,
        WithdrawalState::Debited,
        WithdrawalState::Paid,
        WithdrawalState::Rejected,
        WithdrawalState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalState::Requested => "requested",
            WithdrawalState::Approved => "approved",
            WithdrawalState::Debited => "debited",
            WithdrawalState::Paid => "paid",
            WithdrawalState::Rejected => "rejected",
            WithdrawalState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<WithdrawalState> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Counted against the balance a new request may take: not yet debited.
    pub fn holds_balance(self) -> bool {
        matches!(self, WithdrawalState::Requested | WithdrawalState::Approved)
    }
}

/// Where the money goes, as the trader chose it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Payout {
    /// A bank account, by IBAN (checked by its mod-97 digits) and holder's name.
    Bank { iban: Iban, holder: String },
    /// Back to the card a credited card deposit was paid with.
    Card { deposit: DepositId },
}

/// The longest account holder's name taken (SEPA's limit for a name).
pub const MAX_HOLDER_CHARS: usize = 70;

/// Why a payout destination is refused (`withdraw.error.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayoutError {
    IbanShape,
    IbanChecksum,
    HolderMissing,
    HolderTooLong,
    /// Control characters (a name goes into payment files as it is).
    HolderInvalid,
    /// Not one of the trader's own credited card deposits (or cards are not offered).
    UnknownCard,
}

impl PayoutError {
    pub fn i18n_key(self) -> &'static str {
        match self {
            PayoutError::IbanShape => "withdraw.error.iban_shape",
            PayoutError::IbanChecksum => "withdraw.error.iban_checksum",
            PayoutError::HolderMissing => "withdraw.error.holder_missing",
            PayoutError::HolderTooLong => "withdraw.error.holder_too_long",
            PayoutError::HolderInvalid => "withdraw.error.holder_invalid",
            PayoutError::UnknownCard => "withdraw.error.unknown_card",
        }
    }
}

/// The IBAN as typed, checked the same way in the browser and on the server.
pub fn parse_iban(input: &str) -> Result<Iban, PayoutError> {
    input.parse().map_err(|e| match e {
        super::BankIdError::Shape => PayoutError::IbanShape,
        super::BankIdError::Checksum => PayoutError::IbanChecksum,
    })
}

/// The holder's name as typed: trimmed, present, within SEPA's length, and
/// without control characters (it goes into payment files).
pub fn parse_holder(input: &str) -> Result<String, PayoutError> {
    let name: String = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(PayoutError::HolderMissing);
    }
    if name.chars().count() > MAX_HOLDER_CHARS {
        return Err(PayoutError::HolderTooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(PayoutError::HolderInvalid);
    }
    Ok(name)
}

/// A card the trader may be paid back to: a credited card deposit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardOption {
    pub deposit: DepositId,
    pub amount: Decimal,
    pub created_at_ms: i64,
}

/// Why a withdrawal was rejected, as the trader is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RejectReason {
    /// Finance's own words.
    Finance(String),
    /// cTrader refused the debit: the free balance no longer covered it.
    InsufficientBalance,
    /// cTrader refused the debit for another reason.
    Platform,
}

/// Where the money goes, as the trader's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Destination {
    /// The IBAN with its middle hidden ("DE89 … 3000").
    Bank(String),
    /// The card of the deposit made then.
    Card { deposit_at_ms: i64 },
}

/// A withdrawal as the trader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithdrawalView {
    pub id: WithdrawalId,
    pub amount: Decimal,
    pub currency: Currency,
    pub state: WithdrawalState,
    pub destination: Destination,
    pub reason: Option<RejectReason>,
    pub created_at_ms: i64,
}

/// Everything the withdrawal screen needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithdrawalForm {
    pub currency: Currency,
    pub balance: Decimal,
    /// The balance less what open requests already hold: the most a new one may take.
    pub available: Decimal,
    /// The currency's deposit rule with `max` lowered to `available` (no fee, no presets).
    pub rule: CurrencyRule,
    /// Empty where the broker pays back to bank accounts only.
    pub cards: Vec<CardOption>,
    /// One key per rendered form: every submit of it is the same request.
    pub idempotency_key: String,
    pub recent: Vec<WithdrawalView>,
}

/// The IBAN shown with its middle hidden (a screen in a shared room, a screenshot).
pub fn masked_iban(iban: &Iban) -> String {
    let s = iban.as_str();
    let n = s.len();
    format!("{} … {}", &s[..4.min(n)], &s[n.saturating_sub(4)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_iban_typo_is_told_apart_from_a_wrong_shape() {
        assert!(parse_iban("DE89 3704 0044 0532 0130 00").is_ok());
        assert_eq!(parse_iban("DE88 3704 0044 0532 0130 00"), Err(PayoutError::IbanChecksum));
        assert_eq!(parse_iban("DE89 3704 0044 0532 0103 00"), Err(PayoutError::IbanChecksum), "two neighbours swapped");
        assert_eq!(parse_iban("DE89"), Err(PayoutError::IbanShape));
        assert_eq!(parse_iban(""), Err(PayoutError::IbanShape));
    }

    #[test]
    fn a_holder_is_a_trimmed_name_within_the_limit() {
        assert_eq!(parse_holder("  Ann \n Lee "), Ok("Ann Lee".to_string()));
        assert_eq!(parse_holder("   "), Err(PayoutError::HolderMissing));
        assert_eq!(parse_holder(&"a".repeat(MAX_HOLDER_CHARS)).map(|s| s.len()), Ok(MAX_HOLDER_CHARS));
        assert_eq!(parse_holder(&"a".repeat(MAX_HOLDER_CHARS + 1)), Err(PayoutError::HolderTooLong));
        assert_eq!(parse_holder("Ann\u{0}Lee"), Err(PayoutError::HolderInvalid));
    }

    #[test]
    fn the_masked_iban_keeps_country_and_last_digits() {
        assert_eq!(masked_iban(&parse_iban("DE89370400440532013000").unwrap()), "DE89 … 3000");
    }

    #[test]
    fn only_undebited_requests_hold_balance() {
        let holding: Vec<_> = WithdrawalState::ALL.into_iter().filter(|s| s.holds_balance()).collect();
        assert_eq!(holding, [WithdrawalState::Requested, WithdrawalState::Approved]);
        assert!(WithdrawalState::ALL.iter().all(|s| WithdrawalState::parse(s.as_str()) == Some(*s)));
    }
}

super::stored_as_text!(WithdrawalState);
