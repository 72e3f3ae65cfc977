//! Amounts as traders type them (deposit, withdrawal and action forms): never
//! a panic, and an accepted amount is within the rule.
#![no_main]
use broker_inapp::domain::{format_amount, parse_amount, CurrencyRule};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for digits in [0u32, 2, 8] {
        let rule = CurrencyRule {
            code: "USD".into(),
            digits,
            min: Decimal::new(1, 0),
            max: Decimal::new(50_000, 0),
            presets: vec![],
            fee_percent: Decimal::ZERO,
        };
        if let Ok(v) = parse_amount(text, &rule) {
            assert!(v >= rule.min && v <= rule.max, "{v} outside the rule");
            assert!(v.normalize().scale() <= digits);
            // What the form shows back parses to the same amount.
            assert_eq!(parse_amount(&format_amount(v, digits), &rule), Ok(v));
        }
    }
});
