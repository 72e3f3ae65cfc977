//! Screening list files in their published formats, read into one shape:
//! people, each with a name, aliases and dates of birth.
//!
//! - `un_xml`: the UN Security Council consolidated list
//!   (`<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>`: the name in up to four
//!   parts, `INDIVIDUAL_ALIAS`, `NAME_ORIGINAL_SCRIPT`, dates of birth as an
//!   exact `DATE`, a `YEAR` or `FROM_YEAR`–`TO_YEAR`). Entities are not
//!   screened: traders are people.
//! - `simple_csv`: OpenSanctions' "targets.simple.csv" (columns `id`,
//!   `schema`, `name`, `aliases`, `birth_date`, `sanctions`, `dataset`; a
//!   cell holding several values separates them with `;`). Rows whose
//!   schema is not `Person` are skipped.
//!
//! A file that does not parse, or parses to no one, is an error naming where:
//! the caller keeps the list it had (a truncated download must not empty it).

use super::names::Words;

/// The most a list file may hold. The UN list is about 2 MB, OpenSanctions'
/// sanctioned targets about 100 MB.
pub const MAX_LIST_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListFormat {
    UnXml,
    SimpleCsv,
}

/// A date of birth as lists give it: a day, a month, a year or a span of years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthDate {
    Day(i32, u32, u32),
    Month(i32, u32),
    Years(i32, i32),
}

impl BirthDate {
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (anything after the day is ignored).
    pub fn parse(s: &str) -> Option<BirthDate> {
        let s = s.trim();
        let digits = |r: std::ops::Range<usize>| s.get(r).filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        let year: i32 = digits(0..4)?.parse().ok()?;
        let dash = |i: usize| s.as_bytes().get(i) == Some(&b'-');
        if s.len() == 4 {
            return Some(BirthDate::Years(year, year));
        }
        if !dash(4) {
            return None;
        }
        let month: u32 = digits(5..7)?.parse().ok().filter(|m| (1..=12).contains(m))?;
        if s.len() == 7 {
            return Some(BirthDate::Month(year, month));
        }
        if !dash(7) {
            return None;
        }
        let day: u32 = digits(8..10)?.parse().ok().filter(|d| (1..=31).contains(d))?;
        Some(BirthDate::Day(year, month, day))
    }

    /// Whether a person born on `(y, m, d)` could be the one listed.
    pub fn admits(self, (y, m, d): (i32, u32, u32)) -> bool {
        match self {
            BirthDate::Day(ly, lm, ld) => (ly, lm, ld) == (y, m, d),
            BirthDate::Month(ly, lm) => (ly, lm) == (y, m),
            BirthDate::Years(from, to) => (from..=to).contains(&y),
        }
    }
}

impl std::fmt::Display for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            BirthDate::Day(y, m, d) => write!(f, "{y:04}-{m:02}-{d:02}"),
            BirthDate::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            BirthDate::Years(a, b) if a == b => write!(f, "{a:04}"),
            BirthDate::Years(a, b) => write!(f, "{a:04}–{b:04}"),
        }
    }
}

/// One listed person.
#[derive(Debug, Clone, PartialEq)]
pub struct ListEntry {
    /// The list's own reference (UN: `REFERENCE_NUMBER`; OpenSanctions: `id`).
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub birth_dates: Vec<BirthDate>,
    /// What the list says about the listing (programme, dates), for the reviewer.
    pub note: String,
    /// The name and each alias, ready to compare.
    pub words: Vec<Words>,
}

impl ListEntry {
    fn new(id: String, name: String, aliases: Vec<String>, birth_dates: Vec<BirthDate>, note: String) -> ListEntry {
        let words = std::iter::once(&name).chain(&aliases).map(|n| Words::of(n)).filter(|w| !w.is_empty()).collect();
        ListEntry { id, name, aliases, birth_dates, note, words }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("not a UN consolidated list: {0}")]
    Xml(String),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("no person is listed (a truncated or wrong file?)")]
    NoEntries,
}

pub fn parse(format: ListFormat, text: &str) -> Result<Vec<ListEntry>, ListError> {
    let entries = match format {
        ListFormat::UnXml => un_xml(text)?,
        ListFormat::SimpleCsv => simple_csv(text)?,
    };
    if entries.is_empty() {
        return Err(ListError::NoEntries);
    }
    Ok(entries)
}

fn un_xml(text: &str) -> Result<Vec<ListEntry>, ListError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| ListError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "CONSOLIDATED_LIST" {
        return Err(ListError::Xml(format!("the root element is <{}>, not <CONSOLIDATED_LIST>", root.tag_name().name())));
    }
    let child_text = |n: roxmltree::Node, tag: &str| -> Option<String> {
        n.children().find(|c| c.has_tag_name(tag)).and_then(|c| c.text()).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
    };
    let mut entries = vec![];
    for person in root.descendants().filter(|n| n.has_tag_name("INDIVIDUAL")) {
        let name = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"].iter().filter_map(|t| child_text(person, t)).collect::<Vec<_>>().join(" ");
        let mut aliases: Vec<String> = person
            .children()
            .filter(|c| c.has_tag_name("INDIVIDUAL_ALIAS"))
            // A "low quality" alias is a vague one ("Abu Ali"): screening on it
            // flags half the world, so lists' own guidance is to leave it out.
            .filter(|a| !child_text(*a, "QUALITY").is_some_and(|q| q.to_ascii_lowercase().starts_with("low")))
            .filter_map(|a| child_text(a, "ALIAS_NAME"))
            .collect();
        aliases.extend(child_text(person, "NAME_ORIGINAL_SCRIPT"));
        let birth_dates = person
            .children()
            .filter(|c| c.has_tag_name("INDIVIDUAL_DATE_OF_BIRTH"))
            .filter_map(|b| {
                if let Some(date) = child_text(b, "DATE") {
                    return BirthDate::parse(&date);
                }
                let year = |t| child_text(b, t).and_then(|y| y.parse::<i32>().ok());
                match (year("YEAR"), year("FROM_YEAR"), year("TO_YEAR")) {
                    (Some(y), _, _) => Some(BirthDate::Years(y, y)),
                    (None, Some(a), Some(b)) if a <= b => Some(BirthDate::Years(a, b)),
                    _ => None,
                }
            })
            .collect();
        let Some(id) = child_text(person, "REFERENCE_NUMBER").or_else(|| child_text(person, "DATAID")) else { continue };
        if name.is_empty() {
            continue;
        }
        let note = [child_text(person, "UN_LIST_TYPE"), child_text(person, "LISTED_ON").map(|d| format!("listed {d}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        entries.push(ListEntry::new(id, name, aliases, birth_dates, note));
    }
    Ok(entries)
}

fn simple_csv(text: &str) -> Result<Vec<ListEntry>, ListError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| ListError::Csv { line: e.position().map_or(0, |p| p.line()), message: e.to_string() };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let column = |name: &'static str| headers.iter().position(|h| h == name);
    let required = |name: &'static str| column(name).ok_or(ListError::MissingColumn(name));
    let (id, schema, name) = (required("id")?, required("schema")?, required("name")?);
    let (aliases, births, sanctions, dataset) = (column("aliases"), column("birth_date"), column("sanctions"), column("dataset"));
    let mut entries = vec![];
    for row in reader.records() {
        let row = row.map_err(csv_error)?;
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("");
        if cell(Some(schema)) != "Person" || cell(Some(name)).trim().is_empty() || cell(Some(id)).is_empty() {
            continue;
        }
        let note = [cell(sanctions), cell(dataset)].into_iter().find(|s| !s.is_empty()).unwrap_or_default();
        entries.push(ListEntry::new(
            cell(Some(id)).to_string(),
            cell(Some(name)).trim().to_string(),
            values(cell(aliases)),
            values(cell(births)).iter().filter_map(|b| BirthDate::parse(b)).collect(),
            note.chars().take(300).collect(),
        ));
    }
    Ok(entries)
}

/// A cell's several values: `;`-separated, quoted as CSV where one holds a `;`.
fn values(cell: &str) -> Vec<String> {
    if cell.is_empty() {
        return vec![];
    }
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(cell.as_bytes());
    match reader.records().next() {
        Some(Ok(record)) => record.iter().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect(),
        _ => cell.split(';').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-11-01T00:00:00Z">
 <INDIVIDUALS>
  <INDIVIDUAL>
   <DATAID>900001</DATAID><VERSIONNUM>1</VERSIONNUM>
   <FIRST_NAME>IVAN</FIRST_NAME><SECOND_NAME>SERGEEVICH</SECOND_NAME><THIRD_NAME>SAMPLOV</THIRD_NAME><FOURTH_NAME/>
   <UN_LIST_TYPE>Sample</UN_LIST_TYPE><REFERENCE_NUMBER>SMi.001</REFERENCE_NUMBER><LISTED_ON>2020-05-04</LISTED_ON>
   <NAME_ORIGINAL_SCRIPT>Иван Семплов</NAME_ORIGINAL_SCRIPT>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Ivan Samplow</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Vanya</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1971-03-09</DATE></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1972</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1960</FROM_YEAR><TO_YEAR>1962</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
  </INDIVIDUAL>
  <INDIVIDUAL><DATAID>900002</DATAID><FIRST_NAME>NO</FIRST_NAME><SECOND_NAME>BIRTHDATE</SECOND_NAME></INDIVIDUAL>
 </INDIVIDUALS>
 <ENTITIES><ENTITY><DATAID>1</DATAID><FIRST_NAME>SAMPLE TRADING LLC</FIRST_NAME></ENTITY></ENTITIES>
</CONSOLIDATED_LIST>"#;

    #[test]
    fn the_un_list_gives_people_with_names_aliases_and_every_kind_of_birth_date() {
        let list = parse(ListFormat::UnXml, UN).unwrap();
        assert_eq!(list.len(), 2, "entities are not screened");
        let ivan = &list[0];
        assert_eq!(ivan.id, "SMi.001");
        assert_eq!(ivan.name, "IVAN SERGEEVICH SAMPLOV");
        assert_eq!(ivan.aliases, ["Ivan Samplow", "Иван Семплов"], "the low-quality alias is left out");
        assert_eq!(ivan.birth_dates, [BirthDate::Day(1971, 3, 9), BirthDate::Years(1972, 1972), BirthDate::Years(1960, 1962)]);
        assert_eq!(ivan.note, "Sample · listed 2020-05-04");
        assert_eq!(list[1].id, "900002", "without a reference number, the data id");
        assert!(list[1].birth_dates.is_empty());
    }

    const CSV: &str = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n\
NK-1,Person,Maria Beispiel,\"Maria Beispiel-Muster;\"\"Mascha; die Zweite\"\"\",1980-02-29;1981,de,,,EU sanctions - asset freeze,,,EU FSF,2024-01-01,2026-11-01,2026-11-01\n\
NK-2,Company,Beispiel GmbH,,,de,,,,,,EU FSF,,,\n\
NK-3,Person,Pedro Ejemplo,,1975-06,es,,,,,,Spain PEPs,,,\n";

    #[test]
    fn the_opensanctions_csv_gives_people_with_their_several_values() {
        let list = parse(ListFormat::SimpleCsv, CSV).unwrap();
        assert_eq!(list.len(), 2, "companies are not screened");
        assert_eq!(list[0].id, "NK-1");
        assert_eq!(list[0].aliases, ["Maria Beispiel-Muster", "Mascha; die Zweite"]);
        assert_eq!(list[0].birth_dates, [BirthDate::Day(1980, 2, 29), BirthDate::Years(1981, 1981)]);
        assert_eq!(list[0].note, "EU sanctions - asset freeze");
        assert_eq!(list[1].birth_dates, [BirthDate::Month(1975, 6)]);
        assert_eq!(list[1].note, "Spain PEPs", "without sanctions, the dataset");
    }

    #[test]
    fn a_malformed_file_is_an_error_that_says_where() {
        assert!(matches!(parse(ListFormat::UnXml, "<CONSOLIDATED_LIST><INDIVIDUALS>"), Err(ListError::Xml(_))));
        assert!(matches!(parse(ListFormat::UnXml, "<sdnList/>"), Err(ListError::Xml(m)) if m.contains("sdnList")));
        // A DTD (entity expansion) is refused, not expanded.
        let dtd = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>";
        assert!(matches!(parse(ListFormat::UnXml, dtd), Err(ListError::Xml(_))));
        assert_eq!(parse(ListFormat::UnXml, "<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>"), Err(ListError::NoEntries));
        assert_eq!(parse(ListFormat::SimpleCsv, "id,name\nA,B\n"), Err(ListError::MissingColumn("schema")));
        let ragged = "id,schema,name\nA,Person,Ann Lee\nB,Person\n";
        assert!(matches!(parse(ListFormat::SimpleCsv, ragged), Err(ListError::Csv { line: 3, .. })), "{:?}", parse(ListFormat::SimpleCsv, ragged));
        assert_eq!(parse(ListFormat::SimpleCsv, "id,schema,name\n"), Err(ListError::NoEntries));
    }

    #[test]
    fn birth_dates_admit_what_they_cover() {
        assert_eq!(BirthDate::parse("1980-02-29"), Some(BirthDate::Day(1980, 2, 29)));
        assert_eq!(BirthDate::parse("1980-13"), None);
        assert_eq!(BirthDate::parse("19x0"), None);
        assert_eq!(BirthDate::parse("1980/02/29"), None);
        assert!(BirthDate::Day(1980, 2, 29).admits((1980, 2, 29)));
        assert!(!BirthDate::Day(1980, 2, 29).admits((1980, 2, 28)));
        assert!(BirthDate::Month(1975, 6).admits((1975, 6, 30)));
        assert!(!BirthDate::Month(1975, 6).admits((1975, 7, 1)));
        assert!(BirthDate::Years(1960, 1962).admits((1962, 12, 31)));
        assert!(!BirthDate::Years(1960, 1962).admits((1963, 1, 1)));
        assert_eq!(BirthDate::Years(1960, 1962).to_string(), "1960–1962");
    }
}
