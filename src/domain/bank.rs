//! Bank identifiers a trader types or copies: the payment reference of a bank
//! transfer (ISO 11649 "RF" creditor reference) and an IBAN (ISO 13616).
//! Both carry mod-97 check digits, so a mistyped character or two swapped
//! neighbours are caught before money goes astray.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `value mod 97` of the digits ISO 7064 (MOD 97-10) reads from `chars`:
/// digits as themselves, letters A–Z as 10–35. `None` on any other character.
fn mod97(chars: impl Iterator<Item = char>) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in chars {
        let v = c.to_digit(36)?;
        // Letters are two digits, digits one: shift by 100 or 10.
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    Some(rem)
}

/// Letters and digits only, upper case: how a reference or IBAN is compared,
/// whatever spacing or case the trader or the bank statement used.
fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// Groups of four, as printed on statements and typed into banking apps.
fn grouped(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, chunk) in s.as_bytes().chunks(4).enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankIdError {
    /// Wrong length or characters.
    Shape,
    /// The check digits do not match: a typo.
    Checksum,
}

impl fmt::Display for BankIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BankIdError::Shape => "not the right length or characters",
            BankIdError::Checksum => "the check digits do not match (a typo?)",
        })
    }
}

/// What both identifiers share: the compact text (`as_str`, for storage
/// and matching), serde through `FromStr`, and display in groups of four.
macro_rules! grouped_id {
    ($($t:ident),*) => {$(
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $t {
            type Error = BankIdError;
            fn try_from(s: String) -> Result<$t, BankIdError> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                grouped(&self.0, f)
            }
        }
    )*};
}

grouped_id!(CreditorRef, Iban);

/// A structured creditor reference: `RF`, two check digits, up to 21 letters
/// and digits. Stored compact (`RF18539007547034`), shown in groups of four.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditorRef(String);

impl CreditorRef {
    /// The reference for `body` (1–21 letters or digits), with its check digits.
    pub fn for_body(body: &str) -> Result<CreditorRef, BankIdError> {
        let body = compact(body);
        if body.is_empty() || body.len() > 21 || !body.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(BankIdError::Shape);
        }
        let rem = mod97(body.chars().chain("RF00".chars())).ok_or(BankIdError::Shape)?;
        Ok(CreditorRef(format!("RF{:02}{body}", 98 - rem)))
    }

    /// Every valid reference in free text (a statement's unstructured
    /// remittance line, where banks put it among other words), longest first.
    /// A reference may be written in groups of four, so each `RF` is tried
    /// with the groups that follow it, ending only where a group ends: a
    /// checksum that happens to fit mid-word is not offered.
    pub fn candidates_in(text: &str) -> Vec<CreditorRef> {
        let upper = text.to_uppercase();
        let mut found = Vec::new();
        for (i, _) in upper.match_indices("RF") {
            let mut joined = String::new();
            let mut ends = Vec::new();
            for group in upper[i..].split(|c: char| !c.is_ascii_alphanumeric()).take(8) {
                if group.is_empty() || joined.len() + group.len() > 25 {
                    break;
                }
                joined.push_str(group);
                ends.push(joined.clone());
            }
            for candidate in ends.into_iter().rev() {
                if let Ok(r) = candidate.parse::<CreditorRef>() {
                    if !found.contains(&r) {
                        found.push(r);
                    }
                }
            }
        }
        found
    }
}

impl FromStr for CreditorRef {
    type Err = BankIdError;
    fn from_str(s: &str) -> Result<CreditorRef, BankIdError> {
        let c = compact(s);
        // ASCII first: the slices below are by byte.
        let shape_ok = c.is_ascii()
            && (5..=25).contains(&c.len())
            && c.starts_with("RF")
            && c[2..4].bytes().all(|b| b.is_ascii_digit())
            && c[4..].bytes().all(|b| b.is_ascii_alphanumeric());
        if !shape_ok {
            return Err(BankIdError::Shape);
        }
        // Move the first four to the end; a valid reference leaves 1.
        match mod97(c[4..].chars().chain(c[..4].chars())) {
            Some(1) => Ok(CreditorRef(c)),
            _ => Err(BankIdError::Checksum),
        }
    }
}

/// An International Bank Account Number, checked by its mod-97 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl FromStr for Iban {
    type Err = BankIdError;
    fn from_str(s: &str) -> Result<Iban, BankIdError> {
        let c = compact(s);
        let shape_ok = c.is_ascii()
            && (15..=34).contains(&c.len())
            && c[..2].bytes().all(|b| b.is_ascii_uppercase())
            && c[2..4].bytes().all(|b| b.is_ascii_digit())
            && c[4..].bytes().all(|b| b.is_ascii_alphanumeric());
        if !shape_ok {
            return Err(BankIdError::Shape);
        }
        match mod97(c[4..].chars().chain(c[..4].chars())) {
            Some(1) => Ok(Iban(c)),
            _ => Err(BankIdError::Checksum),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_own_examples_check() {
        // ISO 11649's example and the IBAN registry's German example.
        assert_eq!(CreditorRef::for_body("539007547034").unwrap().as_str(), "RF18539007547034");
        assert_eq!("RF18 5390 0754 7034".parse::<CreditorRef>().unwrap().to_string(), "RF18 5390 0754 7034");
        assert_eq!("rf18539007547034".parse::<CreditorRef>().unwrap().as_str(), "RF18539007547034");
        assert_eq!("DE89 3704 0044 0532 0130 00".parse::<Iban>().unwrap().as_str(), "DE89370400440532013000");
        assert_eq!("GB82WEST12345698765432".parse::<Iban>().unwrap().to_string(), "GB82 WEST 1234 5698 7654 32");
    }

    #[test]
    fn every_single_typo_and_swap_is_caught() {
        // Our references are digits only: MOD 97-10 then catches every wrong
        // digit and every swap of neighbours (with letters, which count as two
        // digits, a swap can slip through; and a letter typed into one of ours
        // cannot name a deposit, whose references have none).
        let good = CreditorRef::for_body("905172846301957326").unwrap().as_str().to_string();
        let chars: Vec<char> = good.chars().collect();
        for i in 2..chars.len() {
            for c in '0'..='9' {
                if c == chars[i] {
                    continue;
                }
                let mut typo = chars.clone();
                typo[i] = c;
                let typo: String = typo.into_iter().collect();
                assert_eq!(typo.parse::<CreditorRef>(), Err(BankIdError::Checksum), "{typo}");
            }
            if i + 1 < chars.len() && chars[i] != chars[i + 1] {
                let mut swapped = chars.clone();
                swapped.swap(i, i + 1);
                let swapped: String = swapped.into_iter().collect();
                assert!(swapped.parse::<CreditorRef>().is_err(), "{swapped}");
            }
        }
        assert_eq!("DE89370400440532013001".parse::<Iban>(), Err(BankIdError::Checksum));
        assert_eq!("DE98370400440532013000".parse::<Iban>(), Err(BankIdError::Checksum));
    }

    #[test]
    fn malformed_values_are_refused_by_shape() {
        for bad in
            ["", "RF", "RF1", "RF1X539007547034", "XX18539007547034", "RF18 5390-0754", "RF18539007547034539007547034", "RF1é539007547034", "RF€1539007547034"]
        {
            assert_eq!(bad.parse::<CreditorRef>(), Err(BankIdError::Shape), "{bad:?}");
        }
        assert_eq!(CreditorRef::for_body("this body is far too long to fit"), Err(BankIdError::Shape));
        assert_eq!("de89 3704 0044 0532 0130 00".parse::<Iban>().unwrap().as_str(), "DE89370400440532013000", "case and spaces do not matter");
        for bad in ["DE89", "D189370400440532013000", "DE8937040044053201300!", "DÉ89370400440532013000", "DE8€370400440532013000"] {
            assert_eq!(bad.parse::<Iban>(), Err(BankIdError::Shape), "{bad:?}");
        }
    }

    #[test]
    fn a_reference_is_found_in_a_statements_free_text() {
        let r = CreditorRef::for_body("K7Q2M9X4TB").unwrap();
        let line = format!("Deposit {} John Smith", r);
        assert_eq!(CreditorRef::candidates_in(&line), std::slice::from_ref(&r));
        assert_eq!(CreditorRef::candidates_in(&format!("ref:{}/2026", r.as_str().to_lowercase())), [r]);
        assert!(CreditorRef::candidates_in("RF no reference here, RFID tags").is_empty());
    }
}
