//! The machine-readable zone of a passport or ID card (ICAO Doc 9303): TD3
//! (passports, two lines of 44 characters) and TD1 (ID cards, three lines of
//! 30). The trader types or confirms the lines; the browser and the server
//! both check the format with this code, and the reviewer sees every check
//! digit, the expiry and how the zone compares with the personal details. A
//! wrong check digit is not refused: it is a typo or a forgery, and telling
//! which is the reviewer's work.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MrzKind {
    /// Passports: 2 × 44.
    Td3,
    /// ID cards: 3 × 30.
    Td1,
}

/// The fields a check digit protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MrzField {
    DocumentNumber,
    BirthDate,
    ExpiryDate,
    /// TD3's personal number (optional data).
    PersonalNumber,
    /// The composite digit over the other fields.
    Composite,
}

impl MrzField {
    pub fn as_str(self) -> &'static str {
        match self {
            MrzField::DocumentNumber => "document_number",
            MrzField::BirthDate => "birth_date",
            MrzField::ExpiryDate => "expiry_date",
            MrzField::PersonalNumber => "personal_number",
            MrzField::Composite => "composite",
        }
    }
}

/// A zone read from its lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mrz {
    pub kind: MrzKind,
    pub document_code: String,
    pub issuing_state: String,
    pub document_number: String,
    pub nationality: String,
    pub surname: String,
    pub given_names: String,
    /// `YYMMDD`, as printed.
    pub birth: String,
    pub expiry: String,
    /// Each check digit and whether it is right.
    pub checks: Vec<(MrzField, bool)>,
}

/// ICAO 9303's check digit: digits count as themselves, letters A–Z as
/// 10–35, the filler `<` as 0, weighted 7, 3, 1 in turn, modulo 10.
pub fn check_digit(field: &str) -> u32 {
    field
        .bytes()
        .zip([7, 3, 1].into_iter().cycle())
        .map(|(b, w)| {
            let v = match b {
                b'0'..=b'9' => u32::from(b - b'0'),
                b'A'..=b'Z' => u32::from(b - b'A') + 10,
                _ => 0,
            };
            v * w
        })
        .sum::<u32>()
        % 10
}

/// The lines as the form keeps them: upper case, one space between lines
/// (a zone has no spaces of its own: its filler is `<`).
pub fn normalise(raw: &str) -> String {
    raw.split_whitespace().map(str::to_ascii_uppercase).collect::<Vec<_>>().join(" ")
}

/// Reads normalised lines; `None` when they are not a TD3 or TD1 zone.
pub fn parse(lines: &str) -> Option<Mrz> {
    let lines: Vec<&str> = lines.split(' ').collect();
    if !lines.iter().all(|l| l.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<')) {
        return None;
    }
    match lines.as_slice() {
        [l1, l2] if l1.len() == 44 && l2.len() == 44 => Some(td3(l1, l2)),
        [l1, l2, l3] if l1.len() == 30 && l2.len() == 30 && l3.len() == 30 => Some(td1(l1, l2, l3)),
        _ => None,
    }
}

fn digit_ok(field: &str, digit: &str) -> bool {
    // An empty optional field may carry `<` for its digit.
    (digit == "<" && field.bytes().all(|b| b == b'<')) || digit.parse::<u32>().ok() == Some(check_digit(field))
}

fn text(field: &str) -> String {
    field.trim_end_matches('<').replace('<', " ")
}

/// `SURNAME<<GIVEN<NAMES` into its two parts.
fn names(field: &str) -> (String, String) {
    let (surname, given) = field.split_once("<<").unwrap_or((field, ""));
    (text(surname), text(given).trim().to_string())
}

fn td3(l1: &str, l2: &str) -> Mrz {
    let (surname, given_names) = names(&l1[5..44]);
    let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
    Mrz {
        kind: MrzKind::Td3,
        document_code: text(&l1[0..2]),
        issuing_state: text(&l1[2..5]),
        document_number: text(&l2[0..9]),
        nationality: text(&l2[10..13]),
        surname,
        given_names,
        birth: l2[13..19].to_string(),
        expiry: l2[21..27].to_string(),
        checks: vec![
            (MrzField::DocumentNumber, digit_ok(&l2[0..9], &l2[9..10])),
            (MrzField::BirthDate, digit_ok(&l2[13..19], &l2[19..20])),
            (MrzField::ExpiryDate, digit_ok(&l2[21..27], &l2[27..28])),
            (MrzField::PersonalNumber, digit_ok(&l2[28..42], &l2[42..43])),
            (MrzField::Composite, digit_ok(&composite, &l2[43..44])),
        ],
    }
}

fn td1(l1: &str, l2: &str, l3: &str) -> Mrz {
    let (surname, given_names) = names(l3);
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    Mrz {
        kind: MrzKind::Td1,
        document_code: text(&l1[0..2]),
        issuing_state: text(&l1[2..5]),
        document_number: text(&l1[5..14]),
        nationality: text(&l2[15..18]),
        surname,
        given_names,
        birth: l2[0..6].to_string(),
        expiry: l2[8..14].to_string(),
        checks: vec![
            (MrzField::DocumentNumber, digit_ok(&l1[5..14], &l1[14..15])),
            (MrzField::BirthDate, digit_ok(&l2[0..6], &l2[6..7])),
            (MrzField::ExpiryDate, digit_ok(&l2[8..14], &l2[14..15])),
            (MrzField::Composite, digit_ok(&composite, &l2[29..30])),
        ],
    }
}

impl Mrz {
    /// Whether the zone's date of birth is `YYYY-MM-DD` (the zone keeps two
    /// digits of the year: those are compared).
    pub fn born_on(&self, date: &str) -> bool {
        date.len() == 10 && date.is_ascii() && self.birth == format!("{}{}{}", &date[2..4], &date[5..7], &date[8..10])
    }

    /// The expiry as `YYYY-MM-DD` (documents expire in this century).
    pub fn expiry_date(&self) -> Option<String> {
        let e = &self.expiry;
        e.bytes().all(|b| b.is_ascii_digit()).then(|| format!("20{}-{}-{}", &e[0..2], &e[2..4], &e[4..6]))
    }

    /// The full name as the zone spells it: given names, then surname.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_names, self.surname).trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ICAO Doc 9303's own specimens (Utopia, Anna Maria Eriksson).
    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<< L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    const TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<< 7408122F1204159UTO<<<<<<<<<<<6 ERIKSSON<<ANNA<MARIA<<<<<<<<<<";

    #[test]
    fn check_digits_follow_icao_9303() {
        assert_eq!(check_digit("L898902C3"), 6);
        assert_eq!(check_digit("740812"), 2);
        assert_eq!(check_digit("120415"), 9);
        assert_eq!(check_digit("ZE184226B<<<<<"), 1);
        assert_eq!(check_digit("<<<"), 0);
    }

    #[test]
    fn the_specimen_passport_reads_with_every_digit_right() {
        let m = parse(TD3).unwrap();
        assert_eq!(m.kind, MrzKind::Td3);
        assert_eq!((m.document_code.as_str(), m.issuing_state.as_str(), m.nationality.as_str()), ("P", "UTO", "UTO"));
        assert_eq!((m.surname.as_str(), m.given_names.as_str(), m.full_name()), ("ERIKSSON", "ANNA MARIA", "ANNA MARIA ERIKSSON".to_string()));
        assert_eq!((m.document_number.as_str(), m.birth.as_str(), m.expiry.as_str()), ("L898902C3", "740812", "120415"));
        assert!(m.checks.iter().all(|(_, ok)| *ok), "{:?}", m.checks);
        assert_eq!(m.checks.len(), 5);
        assert!(m.born_on("1974-08-12") && !m.born_on("1974-08-13"));
        assert_eq!(m.expiry_date().as_deref(), Some("2012-04-15"));
    }

    #[test]
    fn the_specimen_id_card_reads_with_every_digit_right() {
        let m = parse(TD1).unwrap();
        assert_eq!(m.kind, MrzKind::Td1);
        assert_eq!((m.document_number.as_str(), m.surname.as_str(), m.given_names.as_str()), ("D23145890", "ERIKSSON", "ANNA MARIA"));
        assert!(m.checks.iter().all(|(_, ok)| *ok), "{:?}", m.checks);
    }

    #[test]
    fn a_mistyped_character_fails_the_digits_that_cover_it() {
        // The document number's 8 read as a B.
        let m = parse(&TD3.replacen("L898902C3", "L89B902C3", 1)).unwrap();
        let failed: Vec<MrzField> = m.checks.iter().filter(|(_, ok)| !ok).map(|(f, _)| *f).collect();
        assert_eq!(failed, [MrzField::DocumentNumber, MrzField::Composite]);
        // The birth date's check digit itself wrong.
        let m = parse(&TD3.replacen("7408122F", "7408123F", 1)).unwrap();
        assert_eq!(m.checks.iter().filter(|(_, ok)| !ok).map(|(f, _)| *f).collect::<Vec<_>>(), [MrzField::BirthDate, MrzField::Composite]);
    }

    #[test]
    fn anything_but_two_lines_of_44_or_three_of_30_is_not_a_zone() {
        assert!(parse(&TD3[..TD3.len() - 1]).is_none(), "a character short");
        assert!(parse(&TD3.to_lowercase()).is_none(), "not normalised");
        assert!(parse(&normalise(&TD3.to_lowercase())).is_some(), "normalised");
        assert!(parse(&TD3.replace(' ', "")).is_none(), "one line");
        assert!(parse(&TD3.replacen('<', "-", 1)).is_none(), "a character a zone has not");
        assert_eq!(normalise("  p<uto  \n l898 "), "P<UTO L898");
    }
}
