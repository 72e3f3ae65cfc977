//! Withdrawals: requested within the balance cTrader reports, approved by
//! finance (two different users above the four-eyes amount), debited
//! exactly once (also under every fault the simulator injects, with a worker
//! killed), marked paid; cancelled or rejected ones are never debited, and a
//! debit cTrader refuses ends rejected with nothing paid.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use broker_inapp::ctrader::{BalanceChange, BalanceChangeType};
use broker_inapp::domain::{WithdrawalId, WithdrawalState};
use broker_inapp::server_fns::withdrawal::{CancelWithdrawal, ListWithdrawals, LoadWithdrawalForm, RequestWithdrawal};
use broker_inapp::store::{RequestOutcome, WithdrawalRecord};
use broker_inapp::withdrawal::debit;
use common::{staff_cookie, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const IBAN: &str = "DE89 3704 0044 0532 0130 00";

/// A trader with `balance` USD, signed in on the withdrawal screen.
async fn trader(app: &TestApp, balance: &str) -> (String, i64) {
    let v = app.mint(json!({ "balance": balance })).await;
    let (cookie, _) = app.open(&format!("/inapp/action?actionType=withdraw&token={}", v["token"].as_str().unwrap())).await;
    (cookie, v["login"].as_i64().unwrap())
}

fn to_bank(amount: &str, key: &str) -> RequestWithdrawal {
    RequestWithdrawal { amount: amount.into(), payout: "bank".into(), iban: IBAN.into(), holder: "Ann Lee".into(), card: String::new(), key: key.into() }
}

/// Requests and answers the new withdrawal's id.
async fn requested(app: &TestApp, cookie: &str, r: RequestWithdrawal) -> String {
    let res = app.call(cookie, r).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["withdrawal"]["state"], "Requested");
    v["withdrawal"]["id"].as_str().unwrap().to_string()
}

async fn form(app: &TestApp, cookie: &str) -> Value {
    let res = app.call(cookie, LoadWithdrawalForm {}).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The trader's list, as the screen polls it: id → (state, reason).
async fn listed(app: &TestApp, cookie: &str) -> HashMap<String, (String, Value)> {
    let res = app.call(cookie, ListWithdrawals {}).await;
    assert_eq!(res.status(), 200);
    let list: Vec<Value> = res.json().await.unwrap();
    list.into_iter().map(|w| (w["id"].as_str().unwrap().to_string(), (w["state"].as_str().unwrap().to_string(), w["reason"].clone()))).collect()
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(app.url(path)).header("cookie", cookie).header("origin", app.base.clone()).form(form).send().await.unwrap()
}

/// Where a finance step sends the browser (`?note=…`), or the page's problem.
async fn finance_step(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> String {
    let res = post_form(app, cookie, path, form).await;
    match res.status().as_u16() {
        303 => res.headers()["location"].to_str().unwrap().split("note=").nth(1).unwrap().split('&').next().unwrap().to_string(),
        status => {
            let html = res.text().await.unwrap();
            let problem =
                html.split("data-testid=\"withdrawals-problem\"").nth(1).and_then(|a| a.split_once('>')).map(|(_, b)| b.split('<').next().unwrap().to_string());
            format!("{status}: {}", problem.unwrap_or(html))
        }
    }
}

fn debits(trader: &Value) -> Vec<Value> {
    trader["history"].as_array().unwrap().iter().filter(|e| e["type"] == "WITHDRAW").cloned().collect()
}

#[tokio::test]
async fn a_withdrawal_is_requested_approved_debited_exactly_once_and_paid() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "1000").await;
    let f = form(&app, &cookie).await;
    assert_eq!((f["balance"].as_str(), f["available"].as_str(), f["rule"]["max"].as_str()), (Some("1000.00"), Some("1000.00"), Some("1000.00")));

    // Refused in place, and nothing stored: an IBAN typo, a missing holder, more than the balance.
    let typo = RequestWithdrawal { iban: "DE89 3704 0044 0532 0130 01".into(), ..to_bank("100", "wd-key-typo-0123456789") };
    let res = app.call(&cookie, typo).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("IbanChecksum"));
    let nameless = RequestWithdrawal { holder: "  ".into(), ..to_bank("100", "wd-key-typo-0123456789") };
    assert!(app.call(&cookie, nameless).await.text().await.unwrap().contains("HolderMissing"));
    let res = app.call(&cookie, to_bank("1000.01", "wd-key-over-0123456789")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("AboveMax"), "more than the balance");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM withdrawals").await, 0);

    let id = requested(&app, &cookie, to_bank("250", "wd-key-one-0123456789")).await;
    // The same form again is the same request; with another amount it is refused.
    assert_eq!(requested(&app, &cookie, to_bank("250", "wd-key-one-0123456789")).await, id);
    assert_eq!(app.call(&cookie, to_bank("260", "wd-key-one-0123456789")).await.status(), 409);
    // An open request holds its amount: the next one can take only the rest.
    assert_eq!(form(&app, &cookie).await["available"], "750.00");
    assert_eq!(app.call(&cookie, to_bank("750.01", "wd-key-two-0123456789")).await.status(), 422);

    // Another trader can neither see nor cancel it.
    let (stranger, _) = trader(&app, "10").await;
    assert_eq!(app.call(&stranger, CancelWithdrawal { id: id.clone() }).await.status(), 404);
    assert!(listed(&app, &stranger).await.is_empty());

    // Only finance decides (250 is below USD's four-eyes amount of 5000: one approval).
    let support = staff_cookie(&app, "help@broker.example", Role::Support).await;
    assert_eq!(post_form(&app, &support, &format!("/backoffice/withdrawals/{id}/approve"), &[]).await.status(), 403);
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;
    let page = app.get_with_cookie("/backoffice/withdrawals", &finance).await.text().await.unwrap();
    assert!(page.contains(&id) && page.contains("DE89 3704 0044 0532 0130 00") && page.contains("Ann Lee"), "finance sees where to pay");
    assert_eq!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/approve"), &[]).await, "approved");
    assert_eq!(listed(&app, &cookie).await[&id].0, "Approved");
    // Approved: too late to cancel.
    assert_eq!(app.call(&cookie, CancelWithdrawal { id: id.clone() }).await.status(), 409);
    // Paying before the debit is refused.
    assert!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/paid"), &[("reference", "BANK-1")]).await.starts_with("422"));

    app.drain().await;
    let sim = app.sim_trader(login).await;
    let copies = debits(&sim);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!((copies[0]["externalId"].as_str(), copies[0]["delta"].as_str()), (Some(id.as_str()), Some("-250.00")));
    assert_eq!(sim["balance"], "750.00");
    assert_eq!(listed(&app, &cookie).await[&id].0, "Debited");
    let stored = app.count("app.db", &format!("SELECT balance_history_id FROM withdrawals WHERE id = '{id}'")).await;
    assert_eq!(Some(stored), copies[0]["balanceHistoryId"].as_i64(), "our balanceHistoryId is cTrader's");
    // Debited: the balance is cTrader's again, nothing held any more.
    assert_eq!(form(&app, &cookie).await["available"], "750.00");

    assert!(
        finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/paid"), &[("reference", " ")]).await.starts_with("422"),
        "a reference is required"
    );
    assert_eq!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/paid"), &[("reference", "SEPA-2026-000123")]).await, "paid");
    assert_eq!(listed(&app, &cookie).await[&id].0, "Paid");
    assert!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/paid"), &[("reference", "again")]).await.starts_with("422"));
    app.drain().await;
    assert_eq!(debits(&app.sim_trader(login).await).len(), 1, "still one debit");
}

#[tokio::test]
async fn above_the_four_eyes_amount_a_second_different_finance_user_approves() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "20000").await;
    let id = requested(&app, &cookie, to_bank("6000", "wd-key-big-0123456789")).await;
    let first = staff_cookie(&app, "first@broker.example", Role::Finance).await;
    let second = staff_cookie(&app, "second@broker.example", Role::Admin).await;
    let approve = format!("/backoffice/withdrawals/{id}/approve");
    assert_eq!(finance_step(&app, &first, &approve, &[]).await, "awaiting_second");
    assert_eq!(finance_step(&app, &first, &approve, &[]).await, "422: You gave the first approval: another finance user must give the second.");
    app.drain().await;
    assert!(debits(&app.sim_trader(login).await).is_empty(), "one approval debits nothing");
    assert_eq!(listed(&app, &cookie).await[&id].0, "Requested");
    assert_eq!(finance_step(&app, &second, &approve, &[]).await, "approved");
    app.drain().await;
    assert_eq!(debits(&app.sim_trader(login).await).len(), 1);
}

#[tokio::test]
async fn a_cancelled_request_is_never_debited_and_a_rejected_one_says_why() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "500").await;
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;

    let cancelled = requested(&app, &cookie, to_bank("100", "wd-key-cancel-0123456789")).await;
    let res = app.call(&cookie, CancelWithdrawal { id: cancelled.clone() }).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "Cancelled");
    assert_eq!(form(&app, &cookie).await["available"], "500.00", "a cancelled request holds nothing");
    assert!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{cancelled}/approve"), &[]).await.starts_with("422: This withdrawal has moved on"));

    let rejected = requested(&app, &cookie, to_bank("200", "wd-key-reject-0123456789")).await;
    let reject = format!("/backoffice/withdrawals/{rejected}/reject");
    assert!(finance_step(&app, &finance, &reject, &[("reason", "")]).await.starts_with("422: Give a reason"));
    assert_eq!(finance_step(&app, &finance, &reject, &[("reason", "The account holder is not you.")]).await, "rejected");
    let (state, reason) = listed(&app, &cookie).await.remove(&rejected).unwrap();
    assert_eq!((state.as_str(), reason), ("Rejected", json!({ "Finance": "The account holder is not you." })));
    assert!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{rejected}/approve"), &[]).await.starts_with("422"));

    app.drain().await;
    assert!(debits(&app.sim_trader(login).await).is_empty());
    assert_eq!(app.sim_trader(login).await["balance"], "500.00");
}

#[tokio::test]
async fn a_debit_ctrader_refuses_for_the_balance_ends_rejected_with_nothing_paid() {
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "100").await;
    let id = requested(&app, &cookie, to_bank("80", "wd-key-short-0123456789")).await;
    // Meanwhile the trader's balance went elsewhere (trading losses, say).
    let change = BalanceChange {
        login: common::login(login),
        amount: Decimal::new(50, 0),
        kind: BalanceChangeType::Withdraw,
        comment: None,
        external_note: None,
        external_id: Some("elsewhere".into()),
        source: None,
    };
    app.state.ctrader.change_balance(&change).await.unwrap();
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;
    assert_eq!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/approve"), &[]).await, "approved");
    app.drain().await;

    let (state, reason) = listed(&app, &cookie).await.remove(&id).unwrap();
    assert_eq!((state.as_str(), reason), ("Rejected", json!("InsufficientBalance")));
    let sim = app.sim_trader(login).await;
    assert_eq!(sim["balance"], "50.00");
    assert!(debits(&sim).iter().all(|d| d["externalId"] != id.as_str()), "nothing of it taken");
    assert!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/paid"), &[("reference", "X")]).await.starts_with("422"), "nothing to pay");
    assert_eq!(app.text("app.db", &format!("SELECT COALESCE(paid_reference, '') FROM withdrawals WHERE id = '{id}'")).await, "");
}

const WITHDRAWALS: usize = 1000;
/// Five each: as many requests as a trader may have open at once.
const TRADERS: usize = 200;

/// The debit twin of `credit_faults.rs`: every approved withdrawal debited
/// exactly once while about 30% of balance-change calls fail in every way
/// the simulator can fail and a worker is killed and restarted mid-run.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_withdrawals_under_faults_are_each_debited_exactly_once() {
    let app = common::spawn_with(|f| {
        let f = Settings::with(f, "ctrader.timeout_ms", 300);
        let f = Settings::with(f, "payments.retry_base_ms", 20);
        let f = Settings::with(f, "payments.retry_max_ms", 400);
        Settings::with(f, "payments.settle_ms", 2500)
    })
    .await;
    let start_minor = 100_000_000; // 1,000,000.00 each: no debit runs short
    let logins: Vec<i64> = (0..TRADERS as i64).map(|i| 400_000 + i).collect();
    for login in &logins {
        app.mint(json!({ "login": login, "balance": "1000000" })).await;
    }
    broker_inapp::backoffice::create_staff(&app.state.store, "fin@broker.example", "a long staff password", Role::Finance).await.unwrap();
    let staff = app.count("app.db", "SELECT id FROM staff WHERE email = 'fin@broker.example'").await;

    // 1,000 requests: 1 in 25 left waiting, 1 in 25 rejected, the rest approved over the run.
    let now = broker_inapp::time::now_ms();
    let (mut approved, mut never, mut to_approve) = (HashMap::new(), HashSet::new(), vec![]);
    for i in 0..WITHDRAWALS {
        let login = logins[i % TRADERS];
        let minor = 1_000 + i as i64;
        let id: WithdrawalId = format!("wd_f{i:031x}").parse().unwrap();
        let record = WithdrawalRecord {
            id: id.clone(),
            login: common::login(login),
            user_id: 1,
            idempotency_key: format!("fault-key-{i:04}-0123456789"),
            currency: "USD".parse().unwrap(),
            digits: 2,
            amount_minor: minor,
            payout: "bank".into(),
            iban: Some("DE89370400440532013000".into()),
            holder: Some("Ann Lee".into()),
            card_deposit_id: None,
            state: WithdrawalState::Requested,
            reject_code: None,
            reason: None,
            four_eyes: false,
            first_approved_by: None,
            approved_by: None,
            approved_at: None,
            rejected_by: None,
            balance_history_id: None,
            paid_reference: None,
            paid_by: None,
            paid_at: None,
            created_at: now,
            updated_at: now,
        };
        let outcome = app.state.store.withdrawals.request(&record, start_minor, None).await.unwrap();
        assert!(matches!(outcome, RequestOutcome::Created(_)));
        match i % 25 {
            0 => {
                never.insert(id.to_string());
            }
            1 => {
                app.state.store.withdrawals.reject(&id, staff, "no", now).await.unwrap();
                never.insert(id.to_string());
            }
            _ => {
                approved.insert(id.to_string(), (login, minor));
                to_approve.push(id);
            }
        }
    }

    // Approvals arrive over the run (about 80 a second), as finance works.
    let feeder = {
        let state = app.state.clone();
        tokio::spawn(async move {
            for chunk in to_approve.chunks(8) {
                for id in chunk {
                    state.store.withdrawals.approve(id, staff, broker_inapp::time::now_ms()).await.unwrap();
                }
                state.debit_queued.notify_one();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    common::ledger::run_under_faults(&app, &common::ledger::DEBITS, approved.len(), debit::spawn_worker, feeder).await;
    common::ledger::assert_applied_exactly_once(&common::ledger::DEBITS, &app.http, &app.base, &app.database_url, &logins, start_minor, &approved, &never)
        .await;
}

#[tokio::test]
async fn a_card_takes_back_at_most_what_its_credited_deposit_paid_in() {
    use common::deposits::{deposit_id, pay, started, wait_for_state};
    let app = common::spawn().await;
    let (cookie, login) = trader(&app, "1000").await;
    assert_eq!(form(&app, &cookie).await["cards"], json!([]), "no card deposit yet");
    let page = started(&app, &cookie, "300", "card-dep-key-0123456789").await;
    let card = deposit_id(&pay(&app, &page, "4242 4242 4242 4242").await);
    wait_for_state(&app, &cookie, &card, "Credited").await;
    let f = form(&app, &cookie).await;
    assert_eq!(f["balance"], "1300.00");
    assert_eq!((f["cards"][0]["deposit"].as_str(), f["cards"][0]["amount"].as_str()), (Some(card.as_str()), Some("300.00")));

    let to_card = |amount: &str, card: &str, key: &str| RequestWithdrawal {
        amount: amount.into(),
        payout: "card".into(),
        iban: String::new(),
        holder: String::new(),
        card: card.into(),
        key: key.into(),
    };
    let res = app.call(&cookie, to_card("300.01", &card, "wd-card-over-0123456789")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("AboveMax"), "more than the card paid in");
    // A deposit that is not this trader's credited card deposit is no destination.
    let (other, _) = trader(&app, "10").await;
    let res = app.call(&other, to_card("10", &card, "wd-card-theirs-0123456789")).await;
    assert!(res.text().await.unwrap().contains("UnknownCard"), "another trader's card");
    let res = app.call(&cookie, to_card("10", "dep_0123456789abcdef0123456789abcdef", "wd-card-none-0123456789")).await;
    assert!(res.text().await.unwrap().contains("UnknownCard"));

    let id = requested(&app, &cookie, to_card("300", &card, "wd-card-ok-0123456789")).await;
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;
    let page = app.get_with_cookie("/backoffice/withdrawals", &finance).await.text().await.unwrap();
    assert!(page.contains(&format!("Card of deposit {card}")), "finance sees which card to pay back");
    assert_eq!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/approve"), &[]).await, "approved");
    app.drain().await;
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");
    assert_eq!(listed(&app, &cookie).await[&id].0, "Debited");
}

#[tokio::test]
async fn without_card_payouts_only_bank_accounts_are_offered() {
    let app = common::spawn_with(|f| Settings::with(f, "withdrawals.card_payouts", false)).await;
    let (cookie, _) = trader(&app, "1000").await;
    let page = common::deposits::started(&app, &cookie, "300", "card-dep-key-0123456789").await;
    let card = common::deposits::deposit_id(&common::deposits::pay(&app, &page, "4242 4242 4242 4242").await);
    common::deposits::wait_for_state(&app, &cookie, &card, "Credited").await;
    assert_eq!(form(&app, &cookie).await["cards"], json!([]));
    let r = RequestWithdrawal { payout: "card".into(), card: card.clone(), ..to_bank("10", "wd-card-off-0123456789") };
    assert!(app.call(&cookie, r).await.text().await.unwrap().contains("UnknownCard"));
}

#[tokio::test]
async fn a_card_is_paid_back_no_more_than_its_deposit_over_all_requests() {
    use common::deposits::{deposit_id, pay, started, wait_for_state};
    let app = common::spawn().await;
    let (cookie, _) = trader(&app, "1000").await;
    let page = started(&app, &cookie, "300", "card-dep-key-0123456789").await;
    let card = deposit_id(&pay(&app, &page, "4242 4242 4242 4242").await);
    wait_for_state(&app, &cookie, &card, "Credited").await;
    let to_card = |amount: &str, key: &str| RequestWithdrawal {
        amount: amount.into(),
        payout: "card".into(),
        iban: String::new(),
        holder: String::new(),
        card: card.clone(),
        key: key.into(),
    };
    requested(&app, &cookie, to_card("200", "wd-card-a-0123456789")).await;
    assert_eq!(form(&app, &cookie).await["cards"][0]["amount"], "100.00", "what is left to take back");
    let res = app.call(&cookie, to_card("100.01", "wd-card-b-0123456789")).await;
    assert!(res.text().await.unwrap().contains("AboveMax"));
    let last = requested(&app, &cookie, to_card("100", "wd-card-c-0123456789")).await;
    assert_eq!(form(&app, &cookie).await["cards"], json!([]), "nothing left on that card");
    assert!(app.call(&cookie, to_card("1", "wd-card-d-0123456789")).await.text().await.unwrap().contains("UnknownCard"));
    // A cancelled request gives its part back.
    assert_eq!(app.call(&cookie, CancelWithdrawal { id: last }).await.status(), 200);
    assert_eq!(form(&app, &cookie).await["cards"][0]["amount"], "100.00");
}

#[tokio::test]
async fn a_trader_has_at_most_five_requests_waiting_and_a_key_names_one_request() {
    let app = common::spawn().await;
    let (cookie, _) = trader(&app, "1000").await;
    let mut ids = vec![];
    for i in 0..5 {
        ids.push(requested(&app, &cookie, to_bank("10", &format!("wd-key-open-{i}-0123456789"))).await);
    }
    let res = app.call(&cookie, to_bank("10", "wd-key-open-5-0123456789")).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("TooManyOpenWithdrawals"));
    assert_eq!(app.call(&cookie, CancelWithdrawal { id: ids[0].clone() }).await.status(), 200);
    requested(&app, &cookie, to_bank("10", "wd-key-open-5-0123456789")).await;
    // The same key with another destination is not the same request.
    let elsewhere = RequestWithdrawal { iban: "GB82 WEST 1234 5698 7654 32".into(), ..to_bank("10", "wd-key-open-1-0123456789") };
    assert_eq!(app.call(&cookie, elsewhere).await.status(), 409);
}

/// A debit whose earlier attempt had an unknown outcome, refused by cTrader
/// for the balance: the refusal may be that earlier copy's doing, so the
/// withdrawal stays approved until the second look decides.
#[tokio::test]
async fn a_refusal_after_an_unknown_outcome_waits_for_the_second_look() {
    let app = common::spawn_with(|f| Settings::with(Settings::with(f, "payments.settle_ms", 0), "payments.audit_after_ms", 0)).await;
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;
    let store = &app.state.store.withdrawals;
    let lease = broker_inapp::ledger::lease_ms(&app.state);
    let change = |login: i64, cents: i64, kind: BalanceChangeType, external: &str| BalanceChange {
        login: common::login(login),
        amount: Decimal::new(cents, 2),
        kind,
        comment: None,
        external_note: None,
        external_id: Some(external.to_string()),
        source: None,
    };
    // Approved, then a first attempt whose worker died in the call (its
    // outcome unknown), then the balance went elsewhere.
    let approved_after_unknown_outcome = |key: &'static str| {
        let (app, finance) = (&app, finance.clone());
        async move {
            let (cookie, login) = trader(app, "100").await;
            let id = requested(app, &cookie, to_bank("80", key)).await;
            assert_eq!(finance_step(app, &finance, &format!("/backoffice/withdrawals/{id}/approve"), &[]).await, "approved");
            let now = broker_inapp::time::now_ms();
            assert_eq!(store.claim_debits(now, lease, 16).await.unwrap().len(), 1, "attempt 1, never finished");
            app.state.ctrader.change_balance(&change(login, 5_000, BalanceChangeType::Withdraw, "elsewhere")).await.unwrap();
            let job = store.claim_debits(now + lease + 1, lease, 16).await.unwrap().pop().unwrap();
            assert_eq!(job.attempt, 2);
            debit::work(&app.state, job).await;
            (cookie, login, id)
        }
    };

    // Nothing of it landed: rejected at the second look, nothing paid.
    let (cookie, login, id) = approved_after_unknown_outcome("wd-key-held-a-0123456789").await;
    assert_eq!(listed(&app, &cookie).await[&id].0, "Approved", "held, not rejected, until the second look");
    assert_eq!(form(&app, &cookie).await["available"], "0.00", "still holding its amount");
    debit::audit_once(&app.state).await.unwrap();
    let (state, reason) = listed(&app, &cookie).await.remove(&id).unwrap();
    assert_eq!((state.as_str(), reason), ("Rejected", json!("InsufficientBalance")));
    assert!(debits(&app.sim_trader(login).await).iter().all(|d| d["externalId"] != id.as_str()));

    // The first attempt had landed (cTrader's history showed it late): debited after all, and paid out.
    let (cookie, login, id) = approved_after_unknown_outcome("wd-key-held-b-0123456789").await;
    app.state.ctrader.change_balance(&change(login, 5_000, BalanceChangeType::Deposit, "back")).await.unwrap();
    let landed = app.state.ctrader.change_balance(&change(login, 8_000, BalanceChangeType::Withdraw, &id)).await.unwrap();
    debit::audit_once(&app.state).await.unwrap();
    assert_eq!(listed(&app, &cookie).await[&id].0, "Debited");
    assert_eq!(app.count("app.db", &format!("SELECT balance_history_id FROM withdrawals WHERE id = '{id}'")).await, landed);
    assert_eq!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/paid"), &[("reference", "SEPA-9")]).await, "paid");
}

#[tokio::test]
async fn only_an_admin_clears_a_double_debit() {
    let app = common::spawn().await;
    let (cookie, _) = trader(&app, "100").await;
    let id = requested(&app, &cookie, to_bank("10", "wd-key-dup-0123456789")).await;
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;
    assert_eq!(finance_step(&app, &finance, &format!("/backoffice/withdrawals/{id}/approve"), &[]).await, "approved");
    app.drain().await;
    let wid: WithdrawalId = id.parse().unwrap();
    app.state.store.withdrawals.schedule_audit(&wid, 0).await.unwrap();
    app.state.store.withdrawals.finish_audit(&wid, Some("1, 2")).await.unwrap();
    let page = app.get_with_cookie("/backoffice/withdrawals", &finance).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"duplicate-debit\"") && !page.contains("duplicate-debit-reversed"), "finance sees it, cannot clear it");
    assert_eq!(post_form(&app, &finance, &format!("/backoffice/withdrawals/{id}/reversed"), &[]).await.status(), 403);
    let admin = staff_cookie(&app, "ops@broker.example", Role::Admin).await;
    assert_eq!(finance_step(&app, &admin, &format!("/backoffice/withdrawals/{id}/reversed"), &[]).await, "reversed");
    assert!(!app.get_with_cookie("/backoffice/withdrawals", &admin).await.text().await.unwrap().contains("data-testid=\"duplicate-debit\""));
}

#[tokio::test]
async fn every_withdrawal_waiting_for_finance_stays_reachable_page_by_page() {
    let app = common::spawn().await;
    let pool = app.db().await;
    let now = broker_inapp::time::now_ms();
    // 70 debited withdrawals waiting to be paid out and 55 requests waiting
    // for approval, each the oldest first.
    for i in 0..125i64 {
        let (state, bh) = if i < 70 { ("debited", Some(9_000 + i)) } else { ("requested", None) };
        sqlx::query(
            "INSERT INTO withdrawals (id, login, user_id, idempotency_key, currency, digits, amount_minor, payout, iban, holder, state, four_eyes, \
             balance_history_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 'USD', 2, 1000, 'bank', 'DE89370400440532013000', 'Ann Lee', $5, FALSE, $6, $7, $8)",
        )
        .bind(format!("wd_{i:032x}"))
        .bind(300_000 + i)
        .bind(i)
        .bind(format!("paging-key-{i:04}-0123456789"))
        .bind(state)
        .bind(bh)
        .bind(now + i)
        .bind(now + i)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let finance = staff_cookie(&app, "money@broker.example", Role::Finance).await;
    let section = |page: &str, testid: &str| -> String {
        let start = page.find(&format!("data-testid=\"{testid}\"")).unwrap_or_else(|| panic!("{testid} on the page"));
        let end = page[start..].find("</section>").map_or(page.len(), |e| start + e);
        page[start..end].to_string()
    };
    let first = app.get_with_cookie("/backoffice/withdrawals", &finance).await.text().await.unwrap();
    let to_pay = section(&first, "withdrawals-to-pay");
    assert!(to_pay.contains("To pay out (70)"), "the heading counts all of them");
    assert!(to_pay.contains(&format!("wd_{:032x}", 0)) && !to_pay.contains(&format!("wd_{:032x}", 69)), "the oldest first, a page at a time");
    assert!(to_pay.contains("Page 1 of 2"));
    let approve = section(&first, "withdrawals-to-approve");
    assert!(approve.contains("To approve (55)") && approve.contains(&format!("wd_{:032x}", 70)));
    // The next page of one queue leaves the other on its first.
    let second = app.get_with_cookie("/backoffice/withdrawals?pay_page=2", &finance).await.text().await.unwrap();
    let to_pay = section(&second, "withdrawals-to-pay");
    assert!(to_pay.contains(&format!("wd_{:032x}", 69)) && !to_pay.contains(&format!("wd_{:032x}", 0)), "the newest debited on the second page");
    assert!(to_pay.contains("Page 2 of 2") && to_pay.contains("pay_page=1"), "with a link back");
    assert!(section(&second, "withdrawals-to-approve").contains("Page 1 of 2"));
    // Working through the second page, a finance step comes back to it.
    let last = format!("wd_{:032x}", 69);
    assert!(to_pay.contains(&format!("/backoffice/withdrawals/{last}/paid?lang=en&amp;pay_page=2")), "the form posts its page along");
    let res = post_form(&app, &finance, &format!("/backoffice/withdrawals/{last}/paid?lang=en&pay_page=2"), &[("reference", "BANK-REF-0069")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/backoffice/withdrawals?note=paid&lang=en&pay_page=2");
}
