//! Money as the trader types it and as the server accepts it: one parser for
//! the browser and the server, so both say the same thing about `10.005`.
//! Amounts are `rust_decimal::Decimal`, never floats.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// What a currency allows for deposits (from configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrencyRule {
    pub code: String,
    /// Minor units: 2 for USD (cents), 0 for JPY.
    pub digits: u32,
    pub min: Decimal,
    pub max: Decimal,
    pub presets: Vec<Decimal>,
    /// Fee as a percentage of the amount (0 = none), rounded to the minor unit.
    pub fee_percent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AmountError {
    Empty,
    NotANumber,
    NotPositive,
    TooManyDecimals { digits: u32 },
    BelowMin { min: Decimal },
    AboveMax { max: Decimal },
}

impl AmountError {
    /// Translation key and its `%{…}` arguments.
    pub fn i18n(&self) -> (&'static str, Option<(&'static str, String)>) {
        match self {
            AmountError::Empty => ("amount.empty", None),
            AmountError::NotANumber => ("amount.not_a_number", None),
            AmountError::NotPositive => ("amount.not_positive", None),
            AmountError::TooManyDecimals { digits } => ("amount.too_many_decimals", Some(("digits", digits.to_string()))),
            AmountError::BelowMin { min } => ("amount.below_min", Some(("min", min.to_string()))),
            AmountError::AboveMax { max } => ("amount.above_max", Some(("max", max.to_string()))),
        }
    }
}

/// Parses what the trader typed. Only plain decimal notation is money:
/// `1e3`, `NaN`, `1,5` or `0x10` are not.
pub fn parse_amount(input: &str, rule: &CurrencyRule) -> Result<Decimal, AmountError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain =
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()) && !(digits.contains('.') && frac.is_empty());
    if !plain {
        return Err(AmountError::NotANumber);
    }
    let value = match Decimal::from_str(digits) {
        Ok(v) => v,
        // Only digits, yet too long for a Decimal: certainly above any maximum.
        Err(_) => return Err(AmountError::AboveMax { max: rule.max }),
    };
    if negative || value.is_zero() {
        return Err(AmountError::NotPositive);
    }
    if value.normalize().scale() > rule.digits {
        return Err(AmountError::TooManyDecimals { digits: rule.digits });
    }
    if value < rule.min {
        return Err(AmountError::BelowMin { min: rule.min });
    }
    if value > rule.max {
        return Err(AmountError::AboveMax { max: rule.max });
    }
    Ok(value.round_dp(rule.digits).trunc_with_scale(rule.digits))
}

/// The fee on `amount`, rounded half away from zero to the currency's minor unit.
pub fn fee(amount: Decimal, rule: &CurrencyRule) -> Decimal {
    (amount * rule.fee_percent / Decimal::ONE_HUNDRED).round_dp_with_strategy(rule.digits, RoundingStrategy::MidpointAwayFromZero).trunc_with_scale(rule.digits)
}

/// `amount` written with exactly the currency's minor digits (`250` → `250.00`).
pub fn format_amount(amount: Decimal, digits: u32) -> String {
    let mut a = amount.round_dp(digits);
    a.rescale(digits);
    a.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> CurrencyRule {
        CurrencyRule {
            code: "USD".into(),
            digits: 2,
            min: Decimal::new(1000, 2),
            max: Decimal::new(5_000_000, 2),
            presets: vec![],
            fee_percent: Decimal::new(15, 1),
        }
    }

    #[test]
    fn accepts_plain_amounts() {
        assert_eq!(parse_amount(" 250 ", &usd()).unwrap().to_string(), "250.00");
        assert_eq!(parse_amount("10.5", &usd()).unwrap().to_string(), "10.50");
        assert_eq!(parse_amount("+99.99", &usd()).unwrap().to_string(), "99.99");
    }

    #[test]
    fn refuses_every_bad_amount_with_its_reason() {
        let r = usd();
        assert_eq!(parse_amount("", &r), Err(AmountError::Empty));
        assert_eq!(parse_amount("10.005", &r), Err(AmountError::TooManyDecimals { digits: 2 }));
        assert_eq!(parse_amount("1e3", &r), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("NaN", &r), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("1,5", &r), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("10.", &r), Err(AmountError::NotANumber));
        assert_eq!(parse_amount(".5", &r), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("-1", &r), Err(AmountError::NotPositive));
        assert_eq!(parse_amount("0", &r), Err(AmountError::NotPositive));
        assert_eq!(parse_amount("0.00", &r), Err(AmountError::NotPositive));
        assert_eq!(parse_amount("9.99", &r), Err(AmountError::BelowMin { min: r.min }));
        assert_eq!(parse_amount("50000.01", &r), Err(AmountError::AboveMax { max: r.max }));
        assert_eq!(parse_amount("99999999999999999999999999999999999", &r), Err(AmountError::AboveMax { max: r.max }));
    }

    #[test]
    fn exactly_the_limits_are_allowed() {
        let r = usd();
        assert_eq!(parse_amount("10.00", &r), Ok(r.min));
        assert_eq!(parse_amount("50000", &r), Ok(r.max));
    }

    #[test]
    fn every_refusal_reads_as_the_trader_sees_it() {
        use crate::domain::Lang;
        use crate::i18n::{t, t_with};
        let say = |e: AmountError| match e.i18n() {
            (key, Some((name, value))) => t_with(Lang::En, key, &[(name, value.as_str())]),
            (key, None) => t(Lang::En, key),
        };
        assert_eq!(say(AmountError::Empty), "Enter an amount.");
        assert_eq!(say(AmountError::NotANumber), "Enter the amount in digits, for example 250.00.");
        assert_eq!(say(AmountError::NotPositive), "The amount must be more than zero.");
        assert_eq!(say(AmountError::TooManyDecimals { digits: 2 }), "Use at most 2 decimal places.");
        assert_eq!(say(AmountError::BelowMin { min: Decimal::new(1000, 2) }), "The minimum deposit is 10.00.");
        assert_eq!(say(AmountError::AboveMax { max: Decimal::new(5_000_000, 2) }), "The maximum deposit is 50000.00.");
    }

    #[test]
    fn fees_round_to_the_minor_unit() {
        assert_eq!(fee(Decimal::new(1001, 2), &usd()).to_string(), "0.15");
        assert_eq!(format_amount(Decimal::new(250, 0), 2), "250.00");
    }
}
