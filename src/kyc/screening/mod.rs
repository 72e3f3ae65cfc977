//! Sanctions and PEP screening: a trader's full name and date of birth
//! against the list files the broker configures (`[kyc.screening]`), as
//! compliance must before an account trades.
//!
//! When: as soon as the details are saved (compliance sees a match while the
//! trader is still uploading), again just before a case is approved (so no
//! case is approved unscreened, whatever failed before), and again for every
//! case whenever a list file changes (ongoing monitoring: a trader listed
//! after approval is found). A possible match is recorded once per list
//! entry and screened name (`ScreeningStore`); while one is open or
//! confirmed, the case cannot be approved (checked in the approval's own
//! transaction). The trader is never told: a screen saying "you matched a
//! sanctions list" would tip off the very person it is about.
//!
//! Lists are read whole into memory and scanned entry by entry (on a
//! blocking thread): the UN list has about a thousand people, OpenSanctions'
//! sanctioned persons tens of thousands; an index would pay only far beyond.

mod lists;
mod names;

pub use lists::{parse, BirthDate, ListEntry, ListError, ListFormat, MAX_LIST_BYTES};
pub use names::{similarity, Words};

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::config::{ScreeningList, ScreeningSection};
use crate::domain::Login;
use crate::state::AppState;
use crate::store::{NewHit, StoreError};
use crate::watched::{Refresh, Watched};

/// What a list is about: compliance weighs a sanctions match (a legal bar)
/// and a PEP match (enhanced due diligence) differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Sanctions,
    Pep,
}

impl ListKind {
    pub const ALL: [ListKind; 2] = [ListKind::Sanctions, ListKind::Pep];

    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Sanctions => "sanctions",
            ListKind::Pep => "pep",
        }
    }
}

/// What a possible match is about: a list's entry, or another user's
/// verified case with the same identity (the same name and date of birth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    Sanctions,
    Pep,
    Duplicate,
}

impl HitKind {
    pub const ALL: [HitKind; 3] = [HitKind::Sanctions, HitKind::Pep, HitKind::Duplicate];

    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Sanctions => "sanctions",
            HitKind::Pep => "pep",
            HitKind::Duplicate => "duplicate",
        }
    }
}

impl HitKind {
    /// Whether a confirmed match of this kind means the case can never be
    /// approved: a sanctioned person, or a forbidden second identity. A
    /// politically exposed person may be a client, after enhanced due
    /// diligence.
    pub fn bars_approval(self) -> bool {
        self != HitKind::Pep
    }
}

impl From<ListKind> for HitKind {
    fn from(kind: ListKind) -> HitKind {
        match kind {
            ListKind::Sanctions => HitKind::Sanctions,
            ListKind::Pep => HitKind::Pep,
        }
    }
}

/// The `list_name` of duplicate-identity matches (shown translated).
pub const VERIFIED_TRADERS: &str = "verified_traders";

/// Where compliance stands on a possible match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitState {
    /// Waiting for compliance: the case is on hold.
    Open,
    /// Not the same person (with the officer's note).
    Cleared,
    /// The same person: the case can never be approved.
    Confirmed,
}

impl HitState {
    pub const ALL: [HitState; 3] = [HitState::Open, HitState::Cleared, HitState::Confirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            HitState::Open => "open",
            HitState::Cleared => "cleared",
            HitState::Confirmed => "confirmed",
        }
    }
}

crate::domain::stored_as_text!(HitKind, HitState);

/// Who is screened: the name and date of birth from the case's details.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub name: String,
    pub birth: Option<(i32, u32, u32)>,
    /// The identity document the machine-readable lines name, if typed:
    /// `(issuing state, number)`.
    pub document: Option<(String, String)>,
}

impl Subject {
    /// From a case's details (JSON); `None` without a name to screen.
    pub fn from_details(details: &str) -> Option<Subject> {
        let d: BTreeMap<String, String> = serde_json::from_str(details).ok()?;
        let name = d.get("full_name").map(|n| n.trim().to_string()).filter(|n| !n.is_empty())?;
        let birth = d.get("date_of_birth").and_then(|b| crate::domain::kyc::parse_date(b));
        let document = d.get("mrz").and_then(|m| crate::domain::kyc::mrz::parse(m)).map(|z| (z.issuing_state, z.document_number));
        Some(Subject { name, birth, document })
    }

    fn birth_text(&self) -> String {
        self.birth.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")).unwrap_or_default()
    }

    /// The document as another case would name it: issuing state and number.
    pub fn document_key(&self) -> Option<String> {
        self.document.as_ref().map(|(state, number)| format!("{state}:{number}"))
    }

    /// Who the details say this is, as another case would say it too: the
    /// name's words (transliterated, in any order) and the date of birth.
    /// `None` without a date of birth: a name alone is not an identity.
    pub fn identity_key(&self) -> Option<String> {
        self.birth?;
        let mut words = Words::of(&self.name).into_words();
        words.sort();
        Some(format!("{}|{}", words.join(" "), self.birth_text()))
    }
}

/// How many screenings scan the lists at once: each is a full pass on a
/// blocking thread, so a burst of saved details (or a rescreen of every
/// case) queues here instead of taking every core.
const SCREEN_AT_ONCE: usize = 2;

/// The configured lists, each re-read when its file changes.
pub struct Screening {
    threshold: f64,
    lists: Vec<(ScreeningList, Watched<Vec<ListEntry>>)>,
    turns: tokio::sync::Semaphore,
}

/// A list as the back-office shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListStatus {
    pub name: String,
    pub kind: ListKind,
    pub entries: usize,
    pub loaded_at: i64,
    /// Why the file on disk is not the list in use, if it is not.
    pub error: Option<String>,
}

impl Screening {
    /// Reads every configured list; one that cannot be read stops start-up.
    pub fn open(settings: &ScreeningSection) -> Result<Screening, String> {
        let mut lists = vec![];
        for list in &settings.lists {
            let format = list.format;
            let watched = Watched::open(&list.path, MAX_LIST_BYTES, move |text| parse(format, text).map_err(|e| e.to_string()))
                .map_err(|e| format!("screening list `{}`: {e}", list.name))?;
            tracing::info!(list = %list.name, entries = watched.get().len(), "screening list loaded");
            lists.push((list.clone(), watched));
        }
        Ok(Screening { threshold: settings.threshold, lists, turns: tokio::sync::Semaphore::new(SCREEN_AT_ONCE) })
    }

    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Every entry of every list that may be `subject`: a name (or alias)
    /// at least `threshold` alike, and a date of birth that does not rule
    /// it out (an entry without one is matched on the name alone).
    pub fn screen(&self, subject: &Subject) -> Vec<NewHit> {
        let words = Words::of(&subject.name);
        let mut hits = vec![];
        for (list, watched) in &self.lists {
            for entry in watched.get().iter() {
                if let (Some(born), false) = (subject.birth, entry.birth_dates.is_empty()) {
                    if !entry.birth_dates.iter().any(|b| b.admits(born)) {
                        continue;
                    }
                }
                let best = entry.words.iter().map(|w| similarity(&words, w)).fold(0.0, f64::max);
                if best >= self.threshold {
                    hits.push(NewHit {
                        list_name: list.name.clone(),
                        kind: list.kind.into(),
                        entry_id: entry.id.clone(),
                        entry_name: entry.name.clone(),
                        entry_detail: detail(entry),
                        screened_name: subject.name.clone(),
                        screened_birth: subject.birth_text(),
                        score: (best * 100.0).round() as i64,
                    });
                }
            }
        }
        hits
    }

    /// Re-reads the lists whose files changed; whether any list now differs.
    pub fn refresh(&self) -> bool {
        // Every list looked at (no short cut): each changed file is read now.
        let reloaded = self.lists.iter().filter(|(_, w)| w.refresh() == Refresh::Reloaded).count();
        reloaded > 0
    }

    pub fn status(&self) -> Vec<ListStatus> {
        self.lists
            .iter()
            .map(|(l, w)| ListStatus { name: l.name.clone(), kind: l.kind, entries: w.get().len(), loaded_at: w.loaded_at(), error: w.error() })
            .collect()
    }
}

/// What the reviewer reads about an entry besides its name.
fn detail(entry: &ListEntry) -> String {
    let mut parts = vec![format!("ref {}", entry.id)];
    if !entry.aliases.is_empty() {
        parts.push(format!("aka {}", entry.aliases.join("; ")));
    }
    if !entry.birth_dates.is_empty() {
        parts.push(format!("born {}", entry.birth_dates.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")));
    }
    if !entry.note.is_empty() {
        parts.push(entry.note.clone());
    }
    parts.join(" · ")
}

/// Screens `login`'s case as its details now stand (the lists, and other
/// users' verified cases) and records what is new; how many possible
/// matches are new. Nothing to screen (no case, no name) is zero.
pub async fn screen_case(state: &AppState, login: Login) -> Result<usize, StoreError> {
    let Some(details) = state.store.kyc.case(login).await?.and_then(|c| c.details) else { return Ok(0) };
    screen_details(state, login, &details).await
}

async fn screen_details(state: &AppState, login: Login, details: &str) -> Result<usize, StoreError> {
    let Some(subject) = Subject::from_details(details) else { return Ok(0) };
    let screening = state.screening.clone();
    let _turn = state.screening.turns.acquire().await.map_err(|_| StoreError::Database("screening stopped".into()))?;
    let (person, document) = (subject.identity_key(), subject.document_key());
    let screened = subject.clone();
    let mut hits =
        tokio::task::spawn_blocking(move || screening.screen(&screened)).await.map_err(|e| StoreError::Database(format!("screening stopped: {e}")))?;
    // The same person (or the same document) already verified under another
    // user: a second identity for one person, or one identity lent to
    // another, is for compliance to allow or refuse.
    for (other, details, their_document) in state.store.screening.same_identity(login, person.as_deref(), document.as_deref()).await? {
        let name = Subject::from_details(&details).map(|s| s.name).unwrap_or_default();
        let why = match (&document, their_document) {
            (Some(ours), Some(theirs)) if *ours == theirs => format!("document {ours}"),
            _ => "name and date of birth".to_string(),
        };
        hits.push(NewHit {
            list_name: VERIFIED_TRADERS.into(),
            kind: HitKind::Duplicate,
            entry_id: other.to_string(),
            entry_name: name,
            entry_detail: format!("login {other} · same {why}"),
            screened_name: subject.name.clone(),
            screened_birth: subject.birth_text(),
            score: 100,
        });
    }
    if hits.is_empty() {
        return Ok(0);
    }
    let added = state.store.screening.add_hits(login, &hits, crate::time::now_ms()).await?;
    if added > 0 {
        // Who and which entry, never the trader's name (logs are not for personal data).
        tracing::warn!(%login, new = added, lists = ?hits.iter().map(|h| h.list_name.as_str()).collect::<Vec<_>>(), "possible screening match: the case is on hold for compliance");
    }
    Ok(added)
}

/// Screens every case that is not rejected again (after a list changed),
/// a page at a time; a case that fails is logged and the rest go on (the
/// approval screens it again anyway). How many matches are new.
pub async fn rescreen_all(state: &AppState) -> Result<usize, StoreError> {
    let (mut after, mut added) = (0, 0);
    loop {
        let page = state.store.screening.cases_with_details(after, 200).await?;
        let Some((last, _)) = page.last() else { return Ok(added) };
        after = last.get();
        for (login, details) in &page {
            match screen_details(state, *login, details).await {
                Ok(n) => added += n,
                Err(e) => tracing::error!(error = %e, %login, "screening a case again failed"),
            }
        }
    }
}

/// Screens every case once at start (the lists may have changed while the
/// server was down, and cases from before screening have no identity keys
/// yet), then looks at the list files every `reload_seconds` and screens
/// every case again when one changed.
pub fn spawn_reloader(state: AppState) {
    tokio::spawn(async move {
        match rescreen_all(&state).await {
            Ok(added) => tracing::info!(new_matches = added, "every case screened at start"),
            Err(e) => tracing::error!(error = %e, "screening at start failed"),
        }
        if state.screening.is_empty() {
            return;
        }
        let mut every = tokio::time::interval(std::time::Duration::from_secs(state.settings.kyc.screening.reload_seconds));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let screening = state.screening.clone();
            let changed = tokio::task::spawn_blocking(move || screening.refresh()).await.unwrap_or(false);
            if changed {
                match rescreen_all(&state).await {
                    Ok(added) => tracing::info!(new_matches = added, "every case screened again after a list change"),
                    // The next change screens again; the approval screens anyway.
                    Err(e) => tracing::error!(error = %e, "screening after a list change failed"),
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screening(dir: &std::path::Path, un: &str, csv: &str) -> Screening {
        std::fs::write(dir.join("un.xml"), un).unwrap();
        std::fs::write(dir.join("peps.csv"), csv).unwrap();
        let list = |name: &str, kind, format, file: &str| ScreeningList { name: name.into(), kind, format, path: dir.join(file) };
        Screening::open(&ScreeningSection {
            threshold: 0.88,
            reload_seconds: 60,
            lists: vec![list("UN", ListKind::Sanctions, ListFormat::UnXml, "un.xml"), list("PEPs", ListKind::Pep, ListFormat::SimpleCsv, "peps.csv")],
        })
        .unwrap()
    }

    const UN: &str = "<CONSOLIDATED_LIST><INDIVIDUALS>\
        <INDIVIDUAL><REFERENCE_NUMBER>X.1</REFERENCE_NUMBER><FIRST_NAME>IVAN</FIRST_NAME><SECOND_NAME>SAMPLOV</SECOND_NAME>\
        <INDIVIDUAL_DATE_OF_BIRTH><DATE>1971-03-09</DATE></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL>\
        <INDIVIDUAL><REFERENCE_NUMBER>X.2</REFERENCE_NUMBER><FIRST_NAME>ANNA</FIRST_NAME><SECOND_NAME>UNDATED</SECOND_NAME></INDIVIDUAL>\
        </INDIVIDUALS></CONSOLIDATED_LIST>";
    const CSV: &str = "id,schema,name,aliases,birth_date,dataset\nP-1,Person,Pedro Ejemplo,,1975,Spain PEPs\n";

    fn subject(name: &str, birth: Option<(i32, u32, u32)>) -> Subject {
        Subject { name: name.into(), birth, document: None }
    }

    #[test]
    fn a_name_in_another_script_and_order_with_a_matching_birth_date_is_a_possible_match() {
        let dir = tempfile::tempdir().unwrap();
        let s = screening(dir.path(), UN, CSV);
        let hits = s.screen(&subject("Самплов Иван", Some((1971, 3, 9))));
        assert_eq!(hits.len(), 1, "{hits:?}");
        let hit = &hits[0];
        assert_eq!((hit.list_name.as_str(), hit.kind, hit.entry_id.as_str(), hit.entry_name.as_str()), ("UN", HitKind::Sanctions, "X.1", "IVAN SAMPLOV"));
        assert_eq!((hit.score, hit.screened_birth.as_str()), (100, "1971-03-09"));
        assert_eq!(hit.entry_detail, "ref X.1 · born 1971-03-09");
    }

    #[test]
    fn another_birth_date_rules_an_entry_out_and_an_entry_without_one_matches_on_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = screening(dir.path(), UN, CSV);
        assert!(s.screen(&subject("Ivan Samplov", Some((1980, 1, 1)))).is_empty());
        assert_eq!(s.screen(&subject("Ivan Samplov", None)).len(), 1, "no birth date to compare: the name decides");
        let undated = s.screen(&subject("Anna Undated", Some((1990, 5, 5))));
        assert_eq!(undated.iter().map(|h| h.entry_id.as_str()).collect::<Vec<_>>(), ["X.2"]);
        let pep = s.screen(&subject("Pedro Ejemplo", Some((1975, 8, 1))));
        assert_eq!(pep.iter().map(|h| (h.kind, h.entry_id.as_str())).collect::<Vec<_>>(), [(HitKind::Pep, "P-1")]);
        assert!(s.screen(&subject("Someone Else", None)).is_empty());
    }

    #[test]
    fn below_the_threshold_is_no_match() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = screening(dir.path(), UN, CSV);
        // A spelling one letter longer: alike, not the same.
        let near = s.screen(&subject("Ivan Samplova", None));
        assert_eq!(near.len(), 1);
        assert!((90..100).contains(&near[0].score), "{near:?}");
        s.threshold = 0.99;
        assert!(s.screen(&subject("Ivan Samplova", None)).is_empty());
    }

    #[test]
    fn a_changed_list_is_used_and_a_malformed_one_keeps_the_previous() {
        let dir = tempfile::tempdir().unwrap();
        let s = screening(dir.path(), UN, CSV);
        assert!(!s.refresh());
        std::fs::write(dir.path().join("peps.csv"), format!("{CSV}P-2,Person,Lena Neu,,,Spain PEPs\n")).unwrap();
        assert!(s.refresh());
        assert_eq!(s.screen(&subject("Lena Neu", None)).len(), 1);
        std::fs::write(dir.path().join("peps.csv"), "id,schema\n").unwrap();
        assert!(!s.refresh(), "refused: nothing changes");
        assert_eq!(s.screen(&subject("Lena Neu", None)).len(), 1, "the previous list stays");
        let status = s.status();
        assert_eq!(status[1].entries, 2);
        assert!(status[1].error.as_deref().is_some_and(|e| e.contains("name")), "{status:?}");
        assert_eq!(status[0].error, None);
    }

    #[test]
    fn a_list_that_cannot_be_read_stops_start_up_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("un.xml"), "<nope/>").unwrap();
        let settings = ScreeningSection {
            threshold: 0.9,
            reload_seconds: 1,
            lists: vec![ScreeningList { name: "UN".into(), kind: ListKind::Sanctions, format: ListFormat::UnXml, path: dir.path().join("un.xml") }],
        };
        let error = Screening::open(&settings).err().unwrap();
        assert!(error.starts_with("screening list `UN`: not a UN consolidated list"), "{error}");
    }

    #[test]
    fn an_identity_is_the_name_in_any_order_or_script_and_the_date_of_birth() {
        let key = |name: &str, birth| subject(name, birth).identity_key();
        assert_eq!(key("Ivan Samplov", Some((1971, 3, 9))).as_deref(), Some("ivan samplov|1971-03-09"));
        assert_eq!(key("SAMPLOV, Ivan", Some((1971, 3, 9))), key("Ivan Samplov", Some((1971, 3, 9))));
        assert_eq!(key("Иван Самплов", Some((1971, 3, 9))), key("Ivan Samplov", Some((1971, 3, 9))));
        assert_ne!(key("Ivan Samplov", Some((1971, 3, 10))), key("Ivan Samplov", Some((1971, 3, 9))));
        assert_eq!(key("Ivan Samplov", None), None, "a name alone is no identity");
    }

    #[test]
    fn the_subject_comes_from_the_details() {
        let s = Subject::from_details(r#"{"full_name":" Ivan Samplov ","date_of_birth":"1971-03-09","country":"DE"}"#).unwrap();
        assert_eq!(s, subject("Ivan Samplov", Some((1971, 3, 9))));
        let zone = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<< L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        let with_zone = Subject::from_details(&serde_json::json!({ "full_name": "Anna Eriksson", "mrz": zone }).to_string()).unwrap();
        assert_eq!(with_zone.document_key().as_deref(), Some("UTO:L898902C3"));
        assert_eq!(Subject::from_details(r#"{"country":"DE"}"#), None);
        assert_eq!(Subject::from_details("not json"), None);
    }
}
