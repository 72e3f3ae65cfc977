//! Sanctions and PEP screening as compliance and the trader meet it: a
//! trader whose name is on a list (in another order, in the list's own
//! spelling) puts the case on hold; it cannot be approved until an officer
//! clears the match with a note, and never once the match is confirmed; the
//! trader is never told. The approval screens again (a case whose screening
//! was lost is still caught), and a list file changed while the server runs
//! screens every case again, while a broken edit keeps the previous list.

use crate::common;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use broker_inapp::domain::Login;
use broker_inapp::store::{CaseDecision, CaseVerdict, KycWrite};
use common::kyc::*;
use common::TestApp;

/// The sample UN list's invented person, as a trader would type the name:
/// another word order and without the patronymic.
const LISTED: [(&str, &str); 4] = [("full_name", "Samplov Ivan"), ("date_of_birth", "1971-03-09"), ("address", "1 Sample Street, Berlin"), ("country", "DE")];

/// A standard case with `details`, identity and proof of address: submitted.
async fn submitted_with(app: &TestApp, details: &[(&str, &str)]) -> (String, i64) {
    let (cookie, login) = trader(app, "standard", "NO_TRADING").await;
    let res = app.server_fn(&cookie, "kyc/details", details).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(upload(app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(app, &cookie, None).await["state"], "Submitted");
    (cookie, login)
}

async fn case_page(app: &TestApp, officer: &str, login: i64) -> String {
    app.get_with_cookie(&format!("/backoffice/kyc/{login}"), officer).await.text().await.unwrap()
}

/// The id in the first open match's decision form.
fn hit_id(page: &str) -> String {
    page.split("action=\"/backoffice/kyc/screening/").nth(1).and_then(|r| r.split('"').next()).expect("an open match with its form").to_string()
}

async fn decide_hit(app: &TestApp, officer: &str, id: &str, verdict: &str, note: &str) -> reqwest::Response {
    post_form(app, officer, &format!("/backoffice/kyc/screening/{id}"), &[("verdict", verdict), ("note", note)]).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn a_listed_trader_puts_the_case_on_hold_until_compliance_clears_the_match_with_a_note() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_with(&app, &LISTED).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;

    let page = case_page(&app, &officer, login).await;
    assert!(page.contains("data-testid=\"screening-hit\" data-state=\"open\" data-kind=\"sanctions\""), "{page}");
    assert!(page.contains("IVAN SERGEEVICH SAMPLOV") && page.contains("ref SMi.001"), "the listed entry as the list has it");
    assert!(page.contains("data-testid=\"screening-hold\""), "the case says it is on hold");
    assert!(!page.contains("data-testid=\"kyc-approve\""), "no approve button while on hold");

    // An approval posted anyway (an old tab) is refused by the store itself.
    let res = decide(&app, &officer, login, "approve", None).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, format!("/backoffice/kyc/{login}?on_hold=1")));
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM kyc_access_sync").await, 0, "nothing reached cTrader");
    let refused = app.get_with_cookie(&format!("/backoffice/kyc/{login}?on_hold=1"), &officer).await.text().await.unwrap();
    assert!(common::shown(&refused).contains("Not approved: a screening match is open or confirmed."));

    // The trader is never told (tipping off): not in what the screens show,
    // nor in the page's embedded data, nor in what the server functions answer.
    let status = app.get_with_cookie("/inapp/kyc/status", &cookie).await.text().await.unwrap().to_lowercase();
    let v = view(&app, &cookie, None).await.to_string().to_lowercase();
    for secret in ["sanction", "sergeevich", "un security council", "smi.001", "9000001", "on hold", "screening"] {
        assert!(!status.contains(secret) && !v.contains(secret), "the trader sees `{secret}`");
    }

    // Clearing needs a note: the audit trail of why.
    let id = hit_id(&page);
    assert_eq!(decide_hit(&app, &officer, &id, "clear", "   ").await.status(), 400);
    let note = "Different person: passport shows born 1990 in Lisbon";
    let res = decide_hit(&app, &officer, &id, "clear", note).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, format!("/backoffice/kyc/{login}")));
    let page = case_page(&app, &officer, login).await;
    assert!(page.contains("data-state=\"cleared\""), "{page}");
    assert!(common::shown(&page).contains("kyc@broker.example, ") && page.contains(note), "who and why are shown");
    // Decided once: a second officer's late decision changes nothing.
    let late = decide_hit(&app, &officer, &id, "confirm", "late").await;
    assert_eq!(location(&late), format!("/backoffice/kyc/{login}?changed=1"));
    assert!(case_page(&app, &officer, login).await.contains("data-state=\"cleared\""));

    // Now the case can be approved, and the approval reaches cTrader.
    assert_eq!(location(&decide(&app, &officer, login, "approve", None).await), format!("/backoffice/kyc/{login}"));
    assert_eq!(view(&app, &cookie, None).await["state"], "Approved");
    wait_for_access(&app, login, "FULL_ACCESS").await;
}

#[tokio::test]
async fn a_confirmed_match_can_never_be_approved_but_the_case_can_be_rejected() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_with(&app, &LISTED).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let id = hit_id(&case_page(&app, &officer, login).await);
    assert_eq!(decide_hit(&app, &officer, &id, "confirm", "Same passport number as the listing").await.status(), 303);

    let page = case_page(&app, &officer, login).await;
    assert!(page.contains("data-state=\"confirmed\"") && common::shown(&page).contains("A confirmed match: this case cannot be approved."), "{page}");
    assert_eq!(location(&decide(&app, &officer, login, "approve", None).await), format!("/backoffice/kyc/{login}?on_hold=1"));
    assert_eq!(decide(&app, &officer, login, "reject", Some("We cannot open this account")).await.status(), 303);
    assert_eq!(view(&app, &cookie, None).await["state"], "Rejected");
    wait_for_access(&app, login, "NO_TRADING").await;
}

#[tokio::test]
async fn support_staff_cannot_decide_a_match() {
    let app = kyc_app().await;
    let (_, login) = submitted_with(&app, &LISTED).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let id = hit_id(&case_page(&app, &officer, login).await);
    let agent = common::staff_cookie(&app, "help@broker.example", Role::Support).await;
    assert_eq!(decide_hit(&app, &agent, &id, "clear", "looks fine").await.status(), 403);
    assert!(case_page(&app, &officer, login).await.contains("data-state=\"open\""));
}

#[tokio::test]
async fn someone_not_on_a_list_is_not_held_and_a_matching_name_with_another_birth_date_is_not_a_match() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (_, login) = submitted_with(&app, &STANDARD_DETAILS).await;
    let page = case_page(&app, &officer, login).await;
    assert!(page.contains("data-testid=\"screening-none\"") && page.contains("data-testid=\"kyc-approve\""), "{page}");
    // The sample lists in use, named with their size.
    assert!(common::shown(&page).contains("UN Security Council (sample): 2 people"), "{}", common::shown(&page));

    let mut other_birthday = LISTED;
    other_birthday[1] = ("date_of_birth", "1985-01-01");
    let (_, login) = submitted_with(&app, &other_birthday).await;
    assert!(case_page(&app, &officer, login).await.contains("data-testid=\"screening-none\""));
}

#[tokio::test]
async fn the_approval_screens_again_so_a_lost_screening_still_holds_the_case() {
    let app = kyc_app().await;
    let (_, login) = submitted_with(&app, &LISTED).await;
    // As if the screening at save time had failed: no match recorded.
    exec(&app, "DELETE FROM kyc_screening_hits WHERE login = $1", login).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    assert!(case_page(&app, &officer, login).await.contains("data-testid=\"kyc-approve\""), "the premise: nothing shows");

    assert_eq!(location(&decide(&app, &officer, login, "approve", None).await), format!("/backoffice/kyc/{login}?on_hold=1"));
    assert!(case_page(&app, &officer, login).await.contains("data-state=\"open\""), "found at the approval");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM kyc_access_sync").await, 0);
}

#[tokio::test]
async fn a_list_changed_while_running_screens_every_case_again_and_a_broken_edit_keeps_the_previous_list() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("peps.csv");
    let header = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n";
    std::fs::write(&csv, format!("{header}p-1,Person,Somebody Else,,1950,,,,,,,Test PEPs,,,\n")).unwrap();
    let lists = serde_json::json!([{ "name": "Test PEPs", "kind": "pep", "format": "simple_csv", "path": csv }]);
    let app = app_with(|f| Settings::with(Settings::with(f, "kyc.screening.lists", lists), "kyc.screening.reload_seconds", 1)).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (_, login) = submitted_with(&app, &STANDARD_DETAILS).await;
    assert!(case_page(&app, &officer, login).await.contains("data-testid=\"screening-none\""));

    // Ada Lovelace becomes a listed PEP (a longer file: a change the reloader sees).
    std::fs::write(&csv, format!("{header}p-1,Person,Somebody Else,,1950,,,,,,,Test PEPs,,,\np-2,Person,LOVELACE Ada,,1990-12-10,gb,,,,,,Test PEPs,,,\n"))
        .unwrap();
    let page = common::eventually("the case screened again", || async {
        let page = case_page(&app, &officer, login).await;
        if page.contains("data-testid=\"screening-hit\" data-state=\"open\" data-kind=\"pep\"") {
            Ok(page)
        } else {
            Err(common::shown(&page))
        }
    })
    .await;
    assert!(page.contains("LOVELACE Ada") && page.contains("ref p-2"));

    // A broken edit: refused, reported, and the list in use stays.
    std::fs::write(&csv, "id,schema\nbroken\n").unwrap();
    let page = common::eventually("the broken file reported", || async {
        let page = common::shown(&case_page(&app, &officer, login).await);
        if page.contains("the changed file was refused") {
            Ok(page)
        } else {
            Err(page)
        }
    })
    .await;
    assert!(page.contains("Test PEPs: 2 people"), "{page}");
    assert_eq!(
        app.state.screening.screen(&broker_inapp::kyc::screening::Subject { name: "Ada Lovelace".into(), birth: Some((1990, 12, 10)), document: None }).len(),
        1
    );
}

#[tokio::test]
async fn the_same_person_already_verified_under_another_user_is_flagged_and_may_be_allowed() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let person = [("full_name", "Jonas Verified"), ("date_of_birth", "1985-05-05"), ("address", "2 Sample Road, Lisbon"), ("country", "PT")];
    let (_, first) = submitted_with(&app, &person).await;
    assert_eq!(location(&decide(&app, &officer, first, "approve", None).await), format!("/backoffice/kyc/{first}"), "the first is verified");

    // The same name (in another order) and date of birth, under another user.
    let mut again = person;
    again[0] = ("full_name", "VERIFIED Jonas");
    let (_, second) = submitted_with(&app, &again).await;
    let page = case_page(&app, &officer, second).await;
    assert!(page.contains("data-testid=\"screening-hit\" data-state=\"open\" data-kind=\"duplicate\""), "{page}");
    assert!(common::shown(&page).contains("Duplicate identity · verified traders: Jonas Verified") && page.contains(&format!("login {first}")));
    assert_eq!(location(&decide(&app, &officer, second, "approve", None).await), format!("/backoffice/kyc/{second}?on_hold=1"));
    // Compliance allows it (say, the broker lets one person hold two users).
    assert_eq!(decide_hit(&app, &officer, &hit_id(&page), "clear", "Known client: second user agreed with the desk").await.status(), 303);
    assert!(common::shown(&case_page(&app, &officer, second).await).contains("Allowed: not a forbidden duplicate"));
    assert_eq!(location(&decide(&app, &officer, second, "approve", None).await), format!("/backoffice/kyc/{second}"));

    // Screened again (as at a restart): the allowed pair raises nothing new,
    // not even on the first, approved before its twin existed.
    assert_eq!(broker_inapp::kyc::screening::rescreen_all(&app.state).await.unwrap(), 0);
    assert!(case_page(&app, &officer, first).await.contains("data-testid=\"screening-none\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twins_approved_at_the_same_moment_are_not_both_approved() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let person = [("full_name", "Mira Twinning"), ("date_of_birth", "1990-01-02"), ("address", "4 Sample Way, Riga"), ("country", "LV")];
    // Both screened (at their details) while neither is verified: no match yet.
    let (_, first) = submitted_with(&app, &person).await;
    let (_, second) = submitted_with(&app, &person).await;
    assert!(case_page(&app, &officer, second).await.contains("data-testid=\"screening-none\""));

    // The store's approval of the second, as it runs when the first was
    // approved after the second's screening just before it: not approved,
    // screen again.
    assert_eq!(location(&decide(&app, &officer, first, "approve", None).await), format!("/backoffice/kyc/{first}"));
    let (name, t) = broker_inapp::kyc::service::case_rules_for(&app.state, Login::new(second).unwrap()).await.unwrap();
    let rules = broker_inapp::kyc::service::rules(&app.state.settings, &name, &t);
    let seen: i64 = seen(&app, &officer, second).await.parse().unwrap();
    let verdict = CaseVerdict { decision: CaseDecision::Approve, reason: None, internal_note: None };
    let written = app.state.store.kyc.decide_case(Login::new(second).unwrap(), &verdict, "kyc@broker.example", seen, &rules, 1).await.unwrap();
    assert_eq!(written, KycWrite::Unscreened);
    // Through the back office: screened again, the twin found, on hold.
    assert_eq!(location(&decide(&app, &officer, second, "approve", None).await), format!("/backoffice/kyc/{second}?on_hold=1"));
    assert!(case_page(&app, &officer, second).await.contains("data-state=\"open\" data-kind=\"duplicate\""));

    // Two more twins approved by two reviewers at once: one of them waits.
    let other = common::staff_cookie(&app, "kyc2@broker.example", Role::Compliance).await;
    let twin = [("full_name", "Ola Samemoment"), ("date_of_birth", "1992-03-04"), ("address", "5 Sample Way, Riga"), ("country", "LV")];
    let (_, a) = submitted_with(&app, &twin).await;
    let (_, b) = submitted_with(&app, &twin).await;
    let (ra, rb) = tokio::join!(decide(&app, &officer, a, "approve", None), decide(&app, &other, b, "approve", None));
    let on_hold = [location(&ra), location(&rb)].iter().filter(|l| l.ends_with("?on_hold=1")).count();
    assert_eq!(on_hold, 1, "{} {}", location(&ra), location(&rb));
}

#[tokio::test]
async fn a_users_own_other_login_is_not_a_duplicate() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let person = [("full_name", "Lena Twoaccounts"), ("date_of_birth", "1979-09-19"), ("address", "3 Sample Lane, Oslo"), ("country", "NO")];
    let (_, first) = submitted_with(&app, &person).await;
    assert_eq!(location(&decide(&app, &officer, first, "approve", None).await), format!("/backoffice/kyc/{first}"));
    let (_, own) = submitted_with(&app, &person).await;
    assert!(case_page(&app, &officer, own).await.contains("data-kind=\"duplicate\""), "the premise: another user's would be flagged");
    // The same user (cTrader: one user, several trading accounts): screened again at approval, not flagged.
    exec(&app, "DELETE FROM kyc_screening_hits WHERE login = $1", own).await;
    let user_of_first = scalar(&app, &format!("SELECT user_id FROM kyc_cases WHERE login = {first}")).await;
    exec(&app, &format!("UPDATE kyc_cases SET user_id = {user_of_first} WHERE login = $1"), own).await;
    assert_eq!(location(&decide(&app, &officer, own, "approve", None).await), format!("/backoffice/kyc/{own}"));
}

/// An app screening against one sanctions list in a file the test edits.
async fn app_with_list(csv: &std::path::Path) -> TestApp {
    let lists = serde_json::json!([{ "name": "Test sanctions", "kind": "sanctions", "format": "simple_csv", "path": csv }]);
    app_with(|f| Settings::with(Settings::with(f, "kyc.screening.lists", lists), "kyc.screening.reload_seconds", 1)).await
}

const CSV_HEADER: &str = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n";

#[tokio::test]
async fn a_trader_listed_after_approval_is_found_and_a_confirmed_match_withdraws_the_approval() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sanctions.csv");
    std::fs::write(&csv, format!("{CSV_HEADER}s-1,Person,Somebody Else,,1950,,,,,,,Test,,,\n")).unwrap();
    let app = app_with_list(&csv).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (cookie, login) = submitted_with(&app, &STANDARD_DETAILS).await;
    assert_eq!(location(&decide(&app, &officer, login, "approve", None).await), format!("/backoffice/kyc/{login}"));
    wait_for_access(&app, login, "FULL_ACCESS").await;

    // Listed later: the next look at the file finds her.
    std::fs::write(
        &csv,
        format!("{CSV_HEADER}s-1,Person,Somebody Else,,1950,,,,,,,Test,,,\ns-2,Person,Ada LOVELACE,,1990-12-10,,,,EU - asset freeze,,,Test,,,\n"),
    )
    .unwrap();
    let page = common::eventually("the approved case screened again", || async {
        let page = case_page(&app, &officer, login).await;
        if page.contains("data-state=\"open\" data-kind=\"sanctions\"") {
            Ok(page)
        } else {
            Err(common::shown(&page))
        }
    })
    .await;
    let note = "Same person: listed 2026-12-02, passport matches";
    assert_eq!(decide_hit(&app, &officer, &hit_id(&page), "confirm", note).await.status(), 303);

    // The approval is withdrawn: rejected, the rights for a rejection in cTrader, no reason told.
    let v = view(&app, &cookie, None).await;
    assert_eq!((v["state"].as_str(), v["note"].as_str()), (Some("Rejected"), None), "{v}");
    assert!(!v.to_string().contains(note));
    let t = wait_for_access(&app, login, "NO_TRADING").await;
    let values: Vec<&str> = t["updates"].as_array().unwrap().iter().map(|u| u["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["FULL_ACCESS", "NO_TRADING"]);
    let audit = case_page(&app, &officer, login).await;
    assert!(audit.contains(note), "the officer's note is in the audit log");
}

#[tokio::test]
async fn a_politically_exposed_person_waits_for_compliance_and_may_be_approved_once_confirmed() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    // The sample PEP list's invented person.
    let pep = [("full_name", "Pedro Ejemplo"), ("date_of_birth", "1975-06-02"), ("address", "Calle Ejemplo 1, Madrid"), ("country", "ES")];
    let (_, login) = submitted_with(&app, &pep).await;
    let page = case_page(&app, &officer, login).await;
    assert!(page.contains("data-state=\"open\" data-kind=\"pep\""), "{page}");
    assert_eq!(location(&decide(&app, &officer, login, "approve", None).await), format!("/backoffice/kyc/{login}?on_hold=1"), "held until compliance looks");
    assert_eq!(decide_hit(&app, &officer, &hit_id(&page), "confirm", "PEP: enhanced due diligence done, source of wealth documented").await.status(), 303);
    let page = common::shown(&case_page(&app, &officer, login).await);
    assert!(page.contains("Confirmed: a politically exposed person"), "{page}");
    assert_eq!(location(&decide(&app, &officer, login, "approve", None).await), format!("/backoffice/kyc/{login}"), "a PEP may be a client");
}
