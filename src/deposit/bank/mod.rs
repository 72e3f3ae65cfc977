//! Bank transfers: the most common way traders fund a forex account, and one
//! that needs no payment provider. The "hosted payment" of this adapter is our
//! own deposit screen showing the broker's bank details and a checked payment
//! reference (ISO 11649) derived from the deposit id; the deposit waits in
//! `awaiting_funds` until finance records the wire (`wires`), by hand or from
//! an imported bank statement (`camt053`). Crediting then goes through the
//! same outbox as every other deposit.

pub mod camt053;
pub mod wires;

use async_trait::async_trait;

use super::{HostedPayment, PaymentProvider, PaymentRequest, ProviderError};
use crate::config::Settings;
use crate::domain::{BankInstructions, CreditorRef, DepositId};
use crate::store::DepositRecord;

/// The reference of deposit `id`: 18 decimal digits (about 60 bits) of its
/// SHA-256 behind the RF check digits. Digits only, because then the check
/// digits catch every mistyped digit and every swap of two neighbours.
/// Deterministic, so asking again returns the same reference.
pub fn reference_of(id: &DepositId) -> CreditorRef {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(id.as_bytes());
    let n = u64::from_be_bytes(hash[..8].try_into().expect("8 bytes")) % 1_000_000_000_000_000_000;
    CreditorRef::for_body(&format!("{n:018}")).expect("18 digits are a valid reference body")
}

pub struct BankTransfer;

#[async_trait]
impl PaymentProvider for BankTransfer {
    async fn create_payment(&self, req: &PaymentRequest) -> Result<HostedPayment, ProviderError> {
        Ok(HostedPayment { id: reference_of(&req.reference).as_str().to_string(), redirect_url: req.return_url.clone() })
    }
}

/// What the trader needs to pay `d`, while it waits for their transfer.
pub fn instructions(settings: &Settings, d: &DepositRecord) -> Option<BankInstructions> {
    if d.state != crate::domain::DepositState::AwaitingFunds {
        return None;
    }
    let account = settings.payments.bank_transfer.accounts.get(&d.currency)?;
    let reference: CreditorRef = d.provider_payment_id.as_deref()?.parse().ok()?;
    Some(BankInstructions {
        beneficiary: account.beneficiary.clone(),
        account: account.iban.as_ref().map(|i| i.to_string()).or_else(|| account.account_number.clone()).unwrap_or_default(),
        bic: account.bic.clone(),
        bank_name: account.bank_name.clone(),
        reference: reference.to_string(),
        amount: super::service::from_minor(d.requested_minor + d.fee_minor, d.digits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deposits_reference_is_stable_checked_and_its_own() {
        let a = DepositId::generate();
        let b = DepositId::generate();
        assert_eq!(reference_of(&a), reference_of(&a));
        assert_ne!(reference_of(&a), reference_of(&b));
        assert_eq!(reference_of(&a).as_str().parse::<CreditorRef>().unwrap(), reference_of(&a));
        assert_eq!(reference_of(&a).as_str().len(), 22);
        assert!(reference_of(&a).as_str()[2..].bytes().all(|b| b.is_ascii_digit()));
    }
}
