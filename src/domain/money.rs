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

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn rule(digits: u32) -> CurrencyRule {
            let scale = 10i64.pow(digits);
            CurrencyRule {
                code: "XXX".into(),
                digits,
                min: Decimal::new(10 * scale, digits),
                max: Decimal::new(50_000 * scale, digits),
                presets: vec![],
                fee_percent: Decimal::ZERO,
            }
        }

        /// `minor` written the way a trader would: all its decimals, some
        /// trailing zeros, a sign or blanks around it.
        fn written(minor: i64, digits: u32, zeros: usize, plus: bool, pad: &str) -> String {
            let scale = 10i64.pow(digits);
            let (int, frac) = (minor / scale, minor % scale);
            let frac = if digits == 0 { String::new() } else { format!(".{frac:0width$}{}", "0".repeat(zeros), width = digits as usize) };
            format!("{pad}{}{int}{frac}{pad}", if plus { "+" } else { "" })
        }

        proptest! {
            /// Every amount between the limits, however it is written, is
            /// exactly the number of minor units it names: no float, no rounding.
            #[test]
            fn every_amount_in_range_is_read_exactly(digits in 0u32..=3, at in 0.0f64..=1.0, zeros in 0usize..3, plus: bool, pad in "[ \t]{0,2}") {
                let r = rule(digits);
                let scale = 10i64.pow(digits);
                let (lo, hi) = (10 * scale, 50_000 * scale);
                let minor = lo + ((hi - lo) as f64 * at) as i64;
                let parsed = parse_amount(&written(minor, digits, zeros, plus, &pad), &r);
                prop_assert_eq!(parsed, Ok(Decimal::new(minor, digits)));
            }

            /// One minor unit outside the limits is refused with the limit.
            #[test]
            fn just_outside_the_limits_is_refused(digits in 0u32..=3) {
                let r = rule(digits);
                let scale = 10i64.pow(digits);
                prop_assert_eq!(parse_amount(&written(10 * scale - 1, digits, 0, false, ""), &r), Err(AmountError::BelowMin { min: r.min }));
                prop_assert_eq!(parse_amount(&written(50_000 * scale + 1, digits, 0, false, ""), &r), Err(AmountError::AboveMax { max: r.max }));
            }

            /// Whatever is typed, an accepted amount is positive, within the
            /// limits and has no more decimals than the currency; nothing panics.
            #[test]
            fn anything_accepted_is_a_valid_amount(input in "\\PC{0,40}", digits in 0u32..=3) {
                let r = rule(digits);
                if let Ok(v) = parse_amount(&input, &r) {
                    prop_assert!(v >= r.min && v <= r.max && v.normalize().scale() <= digits, "{input:?} gave {v}");
                }
            }

            /// Only a sign, digits and one point are money: any other character is refused.
            /// (Blanks of any script around the number are trimmed, so blanks
            /// are not "other": `"0\u{85}"` is 0, refused as not positive.)
            #[test]
            fn other_characters_are_never_money(before in "[0-9]{1,4}", odd in "[^0-9.+\\-\\s]", after in "[0-9]{0,2}") {
                let input = format!("{before}{odd}{after}");
                prop_assert_eq!(parse_amount(&input, &rule(2)), Err(AmountError::NotANumber), "{:?}", input);
            }

            /// A blank of any script inside the number is not money either.
            #[test]
            fn blanks_inside_are_never_money(before in "[0-9]{1,4}", blank in "\\s", after in "[0-9]{1,2}") {
                let input = format!("{before}{blank}{after}");
                prop_assert_eq!(parse_amount(&input, &rule(2)), Err(AmountError::NotANumber), "{:?}", input);
            }
        }
    }
}
