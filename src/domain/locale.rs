//! Numbers, amounts and dates as the trader's language writes them, the same
//! on the server and in the browser (no ICU data in the WASM): decimal and
//! group separators, and the order of day, month and year. Digits stay
//! Western, as on the trading platform itself. What the trader types is still
//! read in the canonical `1234.56` form (`parse_amount`).

use rust_decimal::Decimal;

use super::{format_amount, Lang};

/// (decimal separator, group separator) for `lang`.
fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::En | Lang::Zh | Lang::Ja | Lang::Ar => ('.', ','),
        Lang::De | Lang::Es | Lang::It | Lang::Tr => (',', '.'),
        // A no-break space, so an amount never wraps.
        Lang::Fr | Lang::Pt | Lang::Ru | Lang::Pl => (',', '\u{a0}'),
    }
}

/// `amount` with exactly `digits` decimals, in `lang`'s notation:
/// 1250.5 → `1,250.50` (en), `1.250,50` (de), `1 250,50` (fr).
pub fn format_money(amount: Decimal, digits: u32, lang: Lang) -> String {
    let plain = format_amount(amount, digits);
    let (negative, plain) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, plain),
    };
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let (dec, group) = separators(lang);
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{dec}{frac}")
    }
}

/// A moment (milliseconds since the epoch, shown in UTC) in `lang`'s order.
pub fn format_when(ms: i64, lang: Lang) -> String {
    let iso = super::format_timestamp(ms); // YYYY-MM-DD HH:MM UTC
    let (y, m, d, time) = (&iso[0..4], &iso[5..7], &iso[8..10], &iso[11..16]);
    match lang {
        Lang::En => format!("{m}/{d}/{y} {time} UTC"),
        Lang::De | Lang::Ru | Lang::Pl | Lang::Tr => format!("{d}.{m}.{y} {time} UTC"),
        Lang::Es | Lang::Fr | Lang::It | Lang::Pt | Lang::Ar => format!("{d}/{m}/{y} {time} UTC"),
        Lang::Zh | Lang::Ja => format!("{y}/{m}/{d} {time} UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_language() {
        let a = Decimal::new(12_345_675, 1); // 1234567.5
        assert_eq!(format_money(a, 2, Lang::En), "1,234,567.50");
        assert_eq!(format_money(a, 2, Lang::De), "1.234.567,50");
        assert_eq!(format_money(a, 2, Lang::Fr), "1\u{a0}234\u{a0}567,50");
        assert_eq!(format_money(a, 0, Lang::Ja), "1,234,568");
        assert_eq!(format_money(Decimal::new(25000, 2), 2, Lang::Es), "250,00");
        assert_eq!(format_money(Decimal::new(-100000, 2), 2, Lang::En), "-1,000.00");
        assert_eq!(format_money(Decimal::new(999, 0), 2, Lang::Pl), "999,00");
    }

    #[test]
    fn dates_follow_the_language() {
        let t = 1_795_408_080_000; // 2026-11-23 04:28 UTC
        assert_eq!(format_when(t, Lang::En), "11/23/2026 04:28 UTC");
        assert_eq!(format_when(t, Lang::De), "23.11.2026 04:28 UTC");
        assert_eq!(format_when(t, Lang::Fr), "23/11/2026 04:28 UTC");
        assert_eq!(format_when(t, Lang::Ja), "2026/11/23 04:28 UTC");
    }
}
