//! The machine-readable zone as the trader types it and the reviewer reads
//! it: every check digit right or wrong, the expiry, the name and date of
//! birth against the details; a zone that is not one refused in place; and
//! a document already verified under another user flagged as a duplicate.

use crate::common;

use broker_inapp::backoffice::Role;
use broker_inapp::domain::kyc::mrz::check_digit;
use common::kyc::*;
use common::TestApp;

/// A passport's two lines (ICAO 9303 TD3) for Utopia's specimen holder, with
/// `number`, born `birth` and expiring `expiry` (`YYMMDD`), every digit right.
fn passport(number: &str, birth: &str, expiry: &str) -> String {
    let number = format!("{number:<<9}");
    let personal = "<<<<<<<<<<<<<<";
    let digit = |s: &str| check_digit(s).to_string();
    let body = format!("{number}{}UTO{birth}{}F{expiry}{}{personal}<", digit(&number), digit(birth), digit(expiry));
    let composite = format!("{}{}{}", &body[0..10], &body[13..20], &body[21..43]);
    format!("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n{body}{}", digit(&composite))
}

fn details_with(zone: &str, name: &str) -> Vec<(String, String)> {
    [("full_name", name), ("date_of_birth", "1974-08-12"), ("address", "1 Utopia Square, Utopia"), ("country", "DE"), ("mrz", zone)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn submitted(app: &TestApp, details: &[(String, String)]) -> (String, i64) {
    let (cookie, login) = trader(app, "standard", "NO_TRADING").await;
    let form: Vec<(&str, &str)> = details.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app.server_fn(&cookie, "kyc/details", &form).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(upload(app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    (cookie, login)
}

/// `(check, right?)` of each line of the case page's zone section.
async fn checks(app: &TestApp, officer: &str, login: i64) -> Vec<(String, bool)> {
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), officer).await.text().await.unwrap();
    page.split("data-testid=\"mrz-check\" data-check=\"")
        .skip(1)
        .map(|rest| {
            let check = rest.split('"').next().unwrap().to_string();
            (check, rest.split("data-ok=\"").nth(1).unwrap().starts_with("true"))
        })
        .collect()
}

#[tokio::test]
async fn a_typed_zone_is_checked_for_the_reviewer_digit_by_digit_and_against_the_details() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    // Lower case and loose spacing, as a phone types it: kept as the zone.
    let zone = passport("L898902C3", "740812", "340415").to_lowercase().replace('\n', "  \n ");
    let (cookie, login) = submitted(&app, &details_with(&zone, "Anna Maria Eriksson")).await;
    let saved = view(&app, &cookie, None).await["details"]["mrz"].as_str().unwrap().to_string();
    assert_eq!(saved, passport("L898902C3", "740812", "340415").replace('\n', " "));
    let all_right: Vec<(String, bool)> = ["document_number", "birth_date", "expiry_date", "personal_number", "composite", "expiry", "name", "birth"]
        .iter()
        .map(|c| (c.to_string(), true))
        .collect();
    assert_eq!(checks(&app, &officer, login).await, all_right);
    let page = common::shown(&app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap());
    assert!(page.contains("Document P · UTO · number L898902C3") && page.contains("Valid until 2034-04-15"), "{page}");

    // A mistyped number (8 read as B), an expired passport, another name.
    let typo = passport("L898902C3", "740812", "120415").replacen("L898902C3", "L89B902C3", 1);
    let (_, login) = submitted(&app, &details_with(&typo, "Erik Andersson")).await;
    let wrong: Vec<String> = checks(&app, &officer, login).await.into_iter().filter(|(_, ok)| !ok).map(|(c, _)| c).collect();
    assert_eq!(wrong, ["document_number", "composite", "expiry", "name"]);
}

#[tokio::test]
async fn a_zone_that_is_not_one_is_refused_in_place_and_none_at_all_is_fine() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    let mut form = details_with("P<UTOERIKSSON<<ANNA L898902C36UTO", "Anna Eriksson");
    let send = |form: Vec<(String, String)>| {
        let (app, cookie) = (&app, &cookie);
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.server_fn(cookie, "kyc/details", &f).await
        }
    };
    let res = send(form.clone()).await;
    assert_eq!(res.status(), 422, "details refused as every detail is");
    let body = res.text().await.unwrap();
    assert!(body.contains("mrz") && body.contains("InvalidMrz"), "{body}");
    assert_eq!(view(&app, &cookie, None).await["state"], "NotStarted", "nothing saved");
    form.retain(|(k, _)| k != "mrz");
    assert_eq!(send(form).await.status(), 200, "the zone is optional");
}

#[tokio::test]
async fn a_document_already_verified_under_another_user_is_a_duplicate_whatever_the_name() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let zone = passport("X12345678", "740812", "340415");
    let (_, first) = submitted(&app, &details_with(&zone, "Anna Maria Eriksson")).await;
    assert_eq!(decide(&app, &officer, first, "approve", None).await.status(), 303);
    assert_eq!(view_state(&app, &officer, first).await, "approved");

    let (_, second) = submitted(&app, &details_with(&zone, "Someone Else Entirely")).await;
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{second}"), &officer).await.text().await.unwrap();
    assert!(page.contains("data-kind=\"duplicate\"") && page.contains(&format!("login {first} · same document UTO:X12345678")), "{page}");
}

async fn view_state(app: &TestApp, officer: &str, login: i64) -> String {
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), officer).await.text().await.unwrap();
    page.split("data-testid=\"kyc-case-state\" data-state=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string()
}
