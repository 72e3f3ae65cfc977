//! Personal details: which fields exist and the one set of rules the browser
//! and the server both apply.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::COUNTRIES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DetailField {
    FullName,
    DateOfBirth,
    Address,
    Country,
    TaxId,
    SourceOfFunds,
    /// The machine-readable lines of a passport or ID card (`mrz`): optional.
    Mrz,
}

pub const SOURCES_OF_FUNDS: [&str; 6] = ["salary", "savings", "business", "investments", "inheritance", "other"];

impl DetailField {
    pub const ALL: [DetailField; 7] = [
        DetailField::FullName,
        DetailField::DateOfBirth,
        DetailField::Address,
        DetailField::Country,
        DetailField::TaxId,
        DetailField::SourceOfFunds,
        DetailField::Mrz,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DetailField::FullName => "full_name",
            DetailField::DateOfBirth => "date_of_birth",
            DetailField::Address => "address",
            DetailField::Country => "country",
            DetailField::TaxId => "tax_id",
            DetailField::SourceOfFunds => "source_of_funds",
            DetailField::Mrz => "mrz",
        }
    }

    pub fn parse(s: &str) -> Option<DetailField> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DetailError {
    Missing,
    TooShort,
    TooLong,
    InvalidCharacters,
    InvalidDate,
    Underage,
    TooOld,
    UnknownCountry,
    UnknownChoice,
    /// Not two lines of 44 or three of 30 characters (A–Z, 0–9, `<`).
    InvalidMrz,
}

impl DetailError {
    /// Translation key; `kyc.error.underage` takes `%{age}`.
    pub fn i18n_key(self) -> &'static str {
        match self {
            DetailError::Missing => "kyc.error.missing",
            DetailError::TooShort => "kyc.error.too_short",
            DetailError::TooLong => "kyc.error.too_long",
            DetailError::InvalidCharacters => "kyc.error.invalid_characters",
            DetailError::InvalidDate => "kyc.error.invalid_date",
            DetailError::Underage => "kyc.error.underage",
            DetailError::TooOld => "kyc.error.too_old",
            DetailError::UnknownCountry => "kyc.error.unknown_country",
            DetailError::UnknownChoice => "kyc.error.unknown_choice",
            DetailError::InvalidMrz => "kyc.error.mrz",
        }
    }
}

/// `YYYY-MM-DD` as (year, month, day), if it is a real calendar date.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (y >= 1000 && (1..=days).contains(&d)).then_some((y, m, d))
}

fn length_between(v: &str, min: usize, max: usize) -> Result<(), DetailError> {
    let n = v.chars().count();
    if n < min {
        Err(DetailError::TooShort)
    } else if n > max {
        Err(DetailError::TooLong)
    } else {
        Ok(())
    }
}

/// Checks one value and returns it normalised (trimmed, inner spaces
/// collapsed; a zone's lines in upper case, one space apart).
pub fn validate_detail(field: DetailField, raw: &str, today: &str, min_age: u32) -> Result<String, DetailError> {
    let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        return Err(DetailError::Missing);
    }
    if field == DetailField::Mrz {
        let lines = super::mrz::normalise(&v);
        return super::mrz::parse(&lines).map(|_| lines).ok_or(DetailError::InvalidMrz);
    }
    match field {
        DetailField::FullName => {
            length_between(&v, 2, 100)?;
            if !v.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | '’')) {
                return Err(DetailError::InvalidCharacters);
            }
        }
        DetailField::DateOfBirth => {
            let (y, m, d) = parse_date(&v).ok_or(DetailError::InvalidDate)?;
            let (ty, tm, td) = parse_date(today).ok_or(DetailError::InvalidDate)?;
            if (y, m, d) > (ty, tm, td) {
                return Err(DetailError::InvalidDate);
            }
            let age = ty - y - i32::from((tm, td) < (m, d));
            if age < min_age as i32 {
                return Err(DetailError::Underage);
            }
            if age > 120 {
                return Err(DetailError::TooOld);
            }
        }
        DetailField::Address => {
            length_between(&v, 5, 200)?;
            if v.chars().any(char::is_control) {
                return Err(DetailError::InvalidCharacters);
            }
        }
        DetailField::Country => {
            if !COUNTRIES.iter().any(|(code, _)| *code == v) {
                return Err(DetailError::UnknownCountry);
            }
        }
        DetailField::TaxId => {
            length_between(&v, 4, 30)?;
            if !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | ' ')) {
                return Err(DetailError::InvalidCharacters);
            }
        }
        DetailField::SourceOfFunds => {
            if !SOURCES_OF_FUNDS.contains(&v.as_str()) {
                return Err(DetailError::UnknownChoice);
            }
        }
        DetailField::Mrz => unreachable!("checked above"),
    }
    Ok(v)
}

/// Checks every field the type asks for; returns the normalised values or
/// every field's error at once.
pub fn validate_details(
    fields: &[DetailField],
    values: &BTreeMap<String, String>,
    today: &str,
    min_age: u32,
) -> Result<BTreeMap<String, String>, Vec<(DetailField, DetailError)>> {
    let mut ok = BTreeMap::new();
    let mut errors = vec![];
    for &f in fields {
        match validate_detail(f, values.get(f.as_str()).map(String::as_str).unwrap_or(""), today, min_age) {
            Ok(v) => {
                ok.insert(f.as_str().to_string(), v);
            }
            // The zone is optional: not every document has one.
            Err(DetailError::Missing) if f == DetailField::Mrz => {}
            Err(e) => errors.push((f, e)),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: &str = "2026-11-23";

    #[test]
    fn dates_must_exist() {
        assert_eq!(parse_date("2000-02-29"), Some((2000, 2, 29)));
        assert_eq!(parse_date("1900-02-29"), None);
        assert_eq!(parse_date("2001-13-01"), None);
        assert_eq!(parse_date("2001-1-01"), None);
        assert_eq!(parse_date("０１２３-01-01"), None);
    }

    #[test]
    fn adults_only_counted_to_the_day() {
        let dob = |s: &str| validate_detail(DetailField::DateOfBirth, s, TODAY, 18);
        assert!(dob("2008-11-23").is_ok(), "18 today");
        assert_eq!(dob("2008-11-24"), Err(DetailError::Underage));
        assert_eq!(dob("2030-01-01"), Err(DetailError::InvalidDate));
        assert_eq!(dob("1890-01-01"), Err(DetailError::TooOld));
        assert_eq!(dob(""), Err(DetailError::Missing));
    }

    #[test]
    fn names_addresses_and_choices() {
        assert_eq!(validate_detail(DetailField::FullName, "  Zoë   O'Brien-Łukasz ", TODAY, 18), Ok("Zoë O'Brien-Łukasz".into()));
        assert_eq!(validate_detail(DetailField::FullName, "<script>", TODAY, 18), Err(DetailError::InvalidCharacters));
        assert_eq!(validate_detail(DetailField::FullName, "A", TODAY, 18), Err(DetailError::TooShort));
        assert_eq!(validate_detail(DetailField::Country, "DE", TODAY, 18), Ok("DE".into()));
        assert_eq!(validate_detail(DetailField::Country, "XX", TODAY, 18), Err(DetailError::UnknownCountry));
        assert_eq!(validate_detail(DetailField::SourceOfFunds, "lottery", TODAY, 18), Err(DetailError::UnknownChoice));
        assert_eq!(validate_detail(DetailField::Address, "1 Main\u{0} St", TODAY, 18), Err(DetailError::InvalidCharacters));
    }
}
