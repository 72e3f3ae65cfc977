//! Bank transfers: the trader is shown the broker's account and a checked
//! reference; the deposit waits until finance records the wire (by hand or
//! from an imported camt.053 statement); what arrived is credited exactly
//! once; above the four-eyes amount a second, different finance user approves.

use crate::common;

use broker_inapp::backoffice::Role;
use broker_inapp::server_fns::deposit::StartDeposit;
use common::deposits::{deposit_id, status};
use common::{staff_cookie, TestApp};
use serde_json::{json, Value};

/// A trader whose account is in `currency`, signed in.
async fn trader(app: &TestApp, currency: &str) -> (String, i64) {
    let v = app.mint(json!({ "currency": currency })).await;
    let (cookie, _) = app.open(&format!("/inapp/deposit?token={}", v["token"].as_str().unwrap())).await;
    (cookie, v["login"].as_i64().unwrap())
}

/// Starts a bank-transfer deposit; its id and the status the trader sees.
async fn bank_deposit(app: &TestApp, cookie: &str, amount: &str, key: &str) -> (String, Value) {
    let res = app.call(cookie, StartDeposit { amount: amount.into(), method: "bank_transfer".into(), key: key.into() }).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let url: String = res.json().await.unwrap();
    assert!(url.starts_with("/inapp/deposit?deposit="), "a bank transfer's page is our own: {url}");
    let id = deposit_id(&url);
    let s = status(app, cookie, &id).await;
    (id, s)
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(app.url(path)).header("cookie", cookie).header("origin", app.base.clone()).form(form).send().await.unwrap()
}

async fn record(app: &TestApp, finance: &str, reference: &str, amount: &str) -> reqwest::Response {
    post_form(app, finance, "/backoffice/bank/wires", &[("reference", reference), ("amount", amount), ("value_date", "2026-11-30")]).await
}

/// Where a successful step sends the browser (`?note=…`), or the page's problem.
async fn outcome(res: reqwest::Response) -> String {
    match res.status().as_u16() {
        303 => res.headers()["location"].to_str().unwrap().to_string(),
        status => {
            let html = res.text().await.unwrap();
            format!("{status}: {}", text_of(&html, "bank-problem").unwrap_or(html))
        }
    }
}

/// The text of the first element with `data-testid="{testid}"`.
fn text_of(html: &str, testid: &str) -> Option<String> {
    let at = html.split(&format!("data-testid=\"{testid}\"")).nth(1)?;
    Some(at.split_once('>')?.1.split('<').next()?.to_string())
}

fn history(trader: &Value) -> Vec<Value> {
    trader["history"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_bank_transfer_waits_for_funds_and_credits_what_arrived_exactly_once() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "EUR").await;
    let (id, s) = bank_deposit(&app, &cookie, "150", "bank-key-0123456789abcdef").await;
    assert_eq!(s["deposit"]["state"], "AwaitingFunds");
    let bank = &s["bank"];
    assert_eq!(bank["account"], "DE89 3704 0044 0532 0130 00");
    assert_eq!(bank["beneficiary"], "Example Broker Ltd");
    assert_eq!(bank["amount"], "150.00");
    let reference = bank["reference"].as_str().unwrap().to_string();
    assert!(reference.starts_with("RF") && reference.parse::<broker_inapp::domain::CreditorRef>().is_ok(), "{reference}");
    // The same form submitted again is the same deposit and reference.
    let (again, s2) = bank_deposit(&app, &cookie, "150", "bank-key-0123456789abcdef").await;
    assert_eq!((again.as_str(), &s2["bank"]["reference"]), (id.as_str(), &json!(reference)));
    // Nothing is credited while the money has not arrived.
    app.drain().await;
    assert!(history(&app.sim_trader(login).await).is_empty());

    // Finance finds it by the reference as the trader typed it (no spaces, lower case).
    let finance = staff_cookie(&app, "finance@broker.example", Role::Finance).await;
    let typed = reference.replace(' ', "").to_lowercase();
    let page = app.get_with_cookie(&format!("/backoffice/bank?reference={typed}"), &finance).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"bank-deposit\"") && html.contains("150.00 EUR"), "{html}");

    // 10 more than announced arrived: that is what is credited.
    assert_eq!(outcome(record(&app, &finance, &typed, "160.00").await).await, "/backoffice/bank?note=confirmed&lang=en");
    app.drain().await;
    let s = status(&app, &cookie, &id).await;
    assert_eq!((s["deposit"]["state"].as_str(), s["deposit"]["amount"].as_str()), (Some("Credited"), Some("160.00")));
    assert!(s["bank"].is_null(), "no bank details once paid");
    let h = history(&app.sim_trader(login).await);
    assert_eq!(h.len(), 1);
    assert_eq!((h[0]["externalId"].as_str(), h[0]["preciseAmount"].as_str()), (Some(id.as_str()), Some("160.00")));

    // Recording it again changes nothing.
    let again = outcome(record(&app, &finance, &typed, "160.00").await).await;
    assert!(again.starts_with("422") && again.contains("already recorded"), "{again}");
    app.drain().await;
    assert_eq!(history(&app.sim_trader(login).await).len(), 1);
    let page = app.get_with_cookie("/backoffice/bank", &finance).await.text().await.unwrap();
    assert_eq!(text_of(&page, "bank-wire-difference").as_deref(), Some("+10.00"), "the difference is shown");
}

#[tokio::test]
async fn above_the_four_eyes_amount_a_second_finance_user_must_approve() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "USD").await;
    let (id, s) = bank_deposit(&app, &cookie, "20000", "four-eyes-key-0123456789").await;
    assert_eq!(s["bank"]["account"], "000123456789", "an account without an IBAN shows its number");
    let reference = s["bank"]["reference"].as_str().unwrap().to_string();
    let first = staff_cookie(&app, "first@broker.example", Role::Finance).await;
    let second = staff_cookie(&app, "second@broker.example", Role::Finance).await;

    assert_eq!(outcome(record(&app, &first, &reference, "19990").await).await, "/backoffice/bank?note=awaiting_approval&lang=en");
    app.drain().await;
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "AwaitingFunds", "nothing credited on one pair of eyes");
    let wire: i64 = sqlx::query_scalar("SELECT id FROM bank_wires").fetch_one(&app.db().await).await.unwrap();
    let approve = format!("/backoffice/bank/wires/{wire}/approve");

    // The one who recorded it cannot approve it, not even by posting directly.
    let own = app.get_with_cookie("/backoffice/bank", &first).await.text().await.unwrap();
    assert!(own.contains("data-testid=\"bank-yours\"") && !own.contains("data-testid=\"bank-approve\""), "{own}");
    let refused = outcome(post_form(&app, &first, &approve, &[]).await).await;
    assert!(refused.starts_with("422") && refused.contains("different finance user"), "{refused}");
    app.drain().await;
    assert!(history(&app.sim_trader(login).await).is_empty());

    // Support staff cannot approve either (nor see the page).
    let support = staff_cookie(&app, "support@broker.example", Role::Support).await;
    assert_eq!(post_form(&app, &support, &approve, &[]).await.status(), 403);
    assert_eq!(app.get_with_cookie("/backoffice/bank", &support).await.status(), 403);

    assert_eq!(outcome(post_form(&app, &second, &approve, &[]).await).await, "/backoffice/bank?note=approved&lang=en");
    let twice = outcome(post_form(&app, &second, &approve, &[]).await).await;
    assert!(twice.starts_with("422"), "{twice}");
    app.drain().await;
    let s = status(&app, &cookie, &id).await;
    assert_eq!((s["deposit"]["state"].as_str(), s["deposit"]["amount"].as_str()), (Some("Credited"), Some("19990.00")));
    let h = history(&app.sim_trader(login).await);
    assert_eq!((h.len(), h[0]["preciseAmount"].as_str()), (1, Some("19990.00")));
}

#[tokio::test]
async fn wrong_references_amounts_and_dates_are_refused_with_what_was_typed_kept() {
    let app = common::spawn().await;
    let (cookie, _) = trader(&app, "EUR").await;
    let (_, s) = bank_deposit(&app, &cookie, "150", "typo-key-0123456789abcdef").await;
    let reference = s["bank"]["reference"].as_str().unwrap().replace(' ', "");
    let finance = staff_cookie(&app, "finance@broker.example", Role::Finance).await;
    // One digit wrong: the check digits catch it.
    let mut typo: Vec<char> = reference.chars().collect();
    typo[8] = if typo[8] == '1' { '2' } else { '1' };
    let typo: String = typo.into_iter().collect();
    let res = outcome(record(&app, &finance, &typo, "150").await).await;
    assert!(res.starts_with("422") && res.contains("check digits"), "{res}");
    let res = record(&app, &finance, &reference, "15O.00").await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("positive number") && html.contains("value=\"15O.00\""), "the typed amount is kept: {html}");
    let res =
        outcome(post_form(&app, &finance, "/backoffice/bank/wires", &[("reference", &reference), ("amount", "150"), ("value_date", "2026-13-45")]).await).await;
    assert!(res.contains("value date"), "{res}");
    // A card deposit has no bank reference to record against.
    let unknown = broker_inapp::domain::CreditorRef::for_body("123456789012345678").unwrap();
    let res = outcome(record(&app, &finance, unknown.as_str(), "150").await).await;
    assert!(res.contains("No bank-transfer deposit"), "{res}");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM bank_wires").await, 0);
}

/// A camt.053 statement with one booked credit line per `(bank reference, amount, text)`.
fn statement(id: &str, lines: &[(&str, &str, &str)]) -> String {
    let entries: String = lines
        .iter()
        .map(|(svcr, amount, text)| {
            format!(
                r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt>
                <ValDt><Dt>2026-11-30</Dt></ValDt><AcctSvcrRef>{svcr}</AcctSvcrRef><NtryDtls><TxDtls>
                <RltdPties><Dbtr><Nm>Jane Trader</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"#
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
        <GrpHdr><MsgId>{id}</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr><Stmt><Id>{id}</Id>
        <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"#
    )
}

async fn import(app: &TestApp, finance: &str, xml: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(xml.as_bytes().to_vec()).file_name("statement.xml").mime_str("application/xml").unwrap();
    let form = reqwest::multipart::Form::new().part("statement", part);
    app.http.post(app.url("/backoffice/bank/statements")).header("cookie", finance).header("origin", app.base.clone()).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn a_statement_proposes_matches_and_each_line_is_used_once() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "EUR").await;
    let (first, s1) = bank_deposit(&app, &cookie, "150", "statement-key-1-0123456789").await;
    let (second, s2) = bank_deposit(&app, &cookie, "200", "statement-key-2-0123456789").await;
    let (r1, r2) = (s1["bank"]["reference"].as_str().unwrap().to_string(), s2["bank"]["reference"].as_str().unwrap().replace(' ', ""));
    let finance = staff_cookie(&app, "finance@broker.example", Role::Finance).await;
    let xml =
        statement("STMT-1", &[("L1", "150.00", &format!("deposit {r1}")), ("L2", "200.00", "for my trading account"), ("L3", "5.00", "bank charges back")]);

    // A body of many parts before the statement is refused, not read to its end.
    let padded = (0..9).fold(reqwest::multipart::Form::new(), |f, i| f.text(format!("pad{i}"), "x"));
    let padded = padded.part("statement", reqwest::multipart::Part::bytes(xml.as_bytes().to_vec()).file_name("statement.xml"));
    let res = app
        .http
        .post(app.url("/backoffice/bank/statements"))
        .header("cookie", &finance)
        .header("origin", app.base.clone())
        .multipart(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM bank_entries").await, 0);

    // Malformed: a clear reason, nothing recorded.
    let broken = xml.replace("</Document>", "");
    let res = import(&app, &finance, &broken).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("could not be read"));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM bank_entries").await, 0);

    assert_eq!(outcome(import(&app, &finance, &xml).await).await, "/backoffice/bank?note=imported&count=3&lang=en");
    assert_eq!(outcome(import(&app, &finance, &xml).await).await, "/backoffice/bank?note=imported&count=0&lang=en", "the same file again adds nothing");
    let entry = |svcr: &str| format!("SELECT id FROM bank_entries WHERE entry_key = 'DE89370400440532013000/EUR/{svcr}'");
    let pool = app.db().await;
    let (l1, l2): (i64, i64) =
        (sqlx::query_scalar(&entry("L1")).fetch_one(&pool).await.unwrap(), sqlx::query_scalar(&entry("L2")).fetch_one(&pool).await.unwrap());

    // The matched line is proposed; the others wait for a person.
    let page = app.get_with_cookie("/backoffice/bank", &finance).await.text().await.unwrap();
    assert_eq!(page.matches("data-testid=\"bank-line\" data-state=\"matched\"").count(), 1, "{page}");
    assert_eq!(page.matches("data-testid=\"bank-line\" data-state=\"unmatched\"").count(), 2);
    assert!(page.contains(&format!("Matches deposit {first}")));

    assert_eq!(
        outcome(post_form(&app, &finance, &format!("/backoffice/bank/entries/{l1}/assign"), &[]).await).await,
        "/backoffice/bank?note=confirmed&lang=en"
    );
    let used = outcome(post_form(&app, &finance, &format!("/backoffice/bank/entries/{l1}/assign"), &[("reference", &r2)]).await).await;
    assert!(used.starts_with("422") && used.contains("already used"), "a line is never used twice: {used}");
    // The unmatched line, assigned by hand to the second deposit.
    assert_eq!(
        outcome(post_form(&app, &finance, &format!("/backoffice/bank/entries/{l2}/assign"), &[("reference", &r2)]).await).await,
        "/backoffice/bank?note=confirmed&lang=en"
    );

    app.drain().await;
    for (id, amount) in [(&first, "150.00"), (&second, "200.00")] {
        let s = status(&app, &cookie, id).await;
        assert_eq!((s["deposit"]["state"].as_str(), s["deposit"]["amount"].as_str()), (Some("Credited"), Some(amount)));
    }
    let h = history(&app.sim_trader(login).await);
    let mut ids: Vec<&str> = h.iter().map(|c| c["externalId"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = vec![first.as_str(), second.as_str()];
    want.sort();
    assert_eq!(ids, want, "each deposit credited once");
    let page = app.get_with_cookie("/backoffice/bank", &finance).await.text().await.unwrap();
    assert_eq!(page.matches("data-testid=\"bank-line\"").count(), 1, "only the unassigned line is left");

    // A deposit paid by hand before the statement came: its line is that
    // money, so it cannot pay another deposit; finance sets it aside.
    let mut refs = Vec::new();
    for n in 3..=5 {
        let (_, st) = bank_deposit(&app, &cookie, "300", &format!("statement-key-{n}-0123456789")).await;
        refs.push(st["bank"]["reference"].as_str().unwrap().replace(' ', ""));
    }
    let (r3, r4, r5) = (refs[0].clone(), refs[1].clone(), refs[2].clone());
    assert_eq!(outcome(record(&app, &finance, &r3, "300").await).await, "/backoffice/bank?note=confirmed&lang=en");
    let second_day = statement("STMT-2", &[("L4", "300.00", &format!("ref {r3}")), ("L5", "300.00", &format!("ref {r5}")), ("L6", "12.00", "interest")]);
    assert_eq!(outcome(import(&app, &finance, &second_day).await).await, "/backoffice/bank?note=imported&count=3&lang=en");
    let id_of = |svcr: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(&entry(svcr)).fetch_one(&pool).await.unwrap() }
    };
    let (l4, l5, l6) = (id_of("L4").await, id_of("L5").await, id_of("L6").await);
    let page = app.get_with_cookie("/backoffice/bank", &finance).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"bank-line\" data-state=\"recorded\""), "{page}");
    let assign = |line: i64, reference: Option<String>| {
        let (app, finance) = (&app, &finance);
        async move {
            let form: Vec<(&str, &str)> = reference.as_deref().map(|r| vec![("reference", r)]).unwrap_or_default();
            outcome(post_form(app, finance, &format!("/backoffice/bank/entries/{line}/assign"), &form).await).await
        }
    };
    let dismiss = |line: i64| {
        let (app, finance) = (&app, &finance);
        async move { outcome(post_form(app, finance, &format!("/backoffice/bank/entries/{line}/dismiss"), &[]).await).await }
    };
    let elsewhere = assign(l4, Some(r4.clone())).await;
    assert!(elsewhere.starts_with("422") && elsewhere.contains("already recorded by hand"), "{elsewhere}");
    assert_eq!(dismiss(l4).await, "/backoffice/bank?note=dismissed&lang=en");
    assert!(dismiss(l4).await.starts_with("422"), "set aside once");
    // A line set aside is not used, even for a deposit that waits.
    assert_eq!(dismiss(l6).await, "/backoffice/bank?note=dismissed&lang=en");
    assert!(assign(l6, Some(r4.clone())).await.contains("already used"));
    // Finance decides L5's money is deposit 4's: then deposit 5 cannot be paid by hand with it.
    assert_eq!(assign(l5, Some(r4.clone())).await, "/backoffice/bank?note=confirmed&lang=en");
    let twice = outcome(record(&app, &finance, &r5, "300").await).await;
    assert!(twice.starts_with("422") && twice.contains("already recorded by hand"), "{twice}");
    app.drain().await;
    assert_eq!(history(&app.sim_trader(login).await).len(), 4, "first, second, the one paid by hand and the fourth; never the fifth");
}

#[tokio::test]
async fn a_form_whose_card_payment_failed_can_still_become_a_bank_transfer() {
    let app = common::spawn().await;
    let (cookie, _) = trader(&app, "EUR").await;
    let key = "switch-key-0123456789abcdef";
    let res = app.call(&cookie, StartDeposit { amount: "150".into(), method: "card".into(), key: key.into() }).await;
    assert_eq!(res.status(), 200);
    let (bank, s) = bank_deposit(&app, &cookie, "150", key).await;
    assert_eq!(s["deposit"]["state"], "AwaitingFunds");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 2, "{bank}: one deposit per method");
    // The same method again is the same deposit.
    assert_eq!(bank_deposit(&app, &cookie, "150", key).await.0, bank);
}
