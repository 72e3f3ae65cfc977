//! Deposits, their credits, and withdrawals: each change of money once.

use broker_inapp::domain::{Currency, DepositId, DepositState, WithdrawalId, WithdrawalState};
use broker_inapp::store::{Decision, DepositRecord, EventOutcome, RequestOutcome, Role, Store, WithdrawalRecord};

use crate::store::backend::{all_at_once, login, Backend};

pub(super) fn deposit(login_n: i64, key: &str, at: i64) -> DepositRecord {
    DepositRecord {
        id: DepositId::generate(),
        login: login(login_n),
        user_id: 1,
        idempotency_key: key.into(),
        currency: "USD".parse::<Currency>().unwrap(),
        digits: 2,
        requested_minor: 10_000,
        fee_minor: 150,
        confirmed_minor: None,
        method: "card".into(),
        state: DepositState::Pending,
        provider_payment_id: None,
        balance_history_id: None,
        failure_reason: None,
        created_at: at,
        updated_at: at,
    }
}

async fn pending(store: &Store, login_n: i64, key: &str, at: i64) -> DepositRecord {
    let (record, created) = store.deposits.create_or_get(&deposit(login_n, key, at)).await.unwrap();
    assert!(created);
    record
}

pub async fn a_deposit_is_created_once_per_key(b: Backend) {
    let deposits = b.store.deposits.clone();
    let results = all_at_once(10, |_| {
        let deposits = deposits.clone();
        async move { deposits.create_or_get(&deposit(3001, "same-form", 1_000)).await.unwrap() }
    })
    .await;
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1, "one insert wins");
    let winner = &results.iter().find(|(_, created)| *created).unwrap().0;
    assert!(results.iter().all(|(d, _)| d == winner), "every resubmission answers the same deposit, field for field");
    assert_eq!(deposits.get(&winner.id).await.unwrap().as_ref(), Some(winner));
    deposits.set_provider_payment(&winner.id, "pay_1", 2_000).await.unwrap();
    deposits.set_provider_payment(&winner.id, "pay_2", 3_000).await.unwrap();
    assert_eq!(deposits.by_payment_id("pay_1").await.unwrap().map(|d| d.id), Some(winner.id.clone()), "the first payment id stays");
    let known = deposits.known_payment_ids(&["pay_1".into(), "pay_2".into(), "pay_3".into()]).await.unwrap();
    assert_eq!(known, ["pay_1".to_string()].into_iter().collect());
}

pub async fn a_payment_is_confirmed_once(b: Backend) {
    let d = pending(&b.store, 3002, "k", 1_000).await;
    let deposits = b.store.deposits.clone();
    // Different events (a success webhook and its copy from a poller, on
    // different instances) for the same payment.
    let outcomes = all_at_once(10, |i| {
        let (deposits, id) = (deposits.clone(), d.id.clone());
        async move { deposits.confirm(&format!("evt_{i}"), &id, 9_900, 2_000).await.unwrap() }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| **o == EventOutcome::Applied).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, EventOutcome::Applied | EventOutcome::Ignored)), "{outcomes:?}");
    let confirmed = deposits.get(&d.id).await.unwrap().unwrap();
    assert_eq!((confirmed.state, confirmed.confirmed_minor), (DepositState::Confirmed, Some(9_900)));
    let jobs = deposits.claim_credits(3_000, 60_000, 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "one credit queued");
    assert_eq!((jobs[0].login, jobs[0].amount_minor, jobs[0].digits, jobs[0].attempt), (login(3002), 9_900, 2, 1));
}

pub async fn a_provider_event_is_applied_once(b: Backend) {
    let d = pending(&b.store, 3003, "k", 1_000).await;
    let deposits = b.store.deposits.clone();
    let outcomes = all_at_once(10, |_| {
        let (deposits, id) = (deposits.clone(), d.id.clone());
        async move { deposits.close_unpaid("evt_declined", &id, DepositState::Failed, "card declined", 2_000).await.unwrap() }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| **o == EventOutcome::Applied).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, EventOutcome::Applied | EventOutcome::Duplicate)), "{outcomes:?}");
    // A success arriving after the failure still confirms: the money was taken.
    assert_eq!(deposits.confirm("evt_paid", &d.id, 10_000, 3_000).await.unwrap(), EventOutcome::Applied);
    assert_eq!(deposits.confirm("evt_paid", &d.id, 10_000, 3_000).await.unwrap(), EventOutcome::Duplicate);
    let unknown = DepositId::generate();
    assert_eq!(deposits.confirm("evt_x", &unknown, 1, 3_000).await.unwrap(), EventOutcome::UnknownDeposit);
}

pub async fn credit_jobs_are_leased_once(b: Backend) {
    let deposits = b.store.deposits.clone();
    for i in 0..24 {
        let d = pending(&b.store, 4000 + i, "k", 1_000 + i).await;
        assert_eq!(deposits.confirm(&format!("evt_{i}"), &d.id, 500, 2_000).await.unwrap(), EventOutcome::Applied);
    }
    // Four workers (on four instances) lease at once.
    let leased = all_at_once(4, |_| {
        let deposits = deposits.clone();
        async move { deposits.claim_credits(3_000, 60_000, 10).await.unwrap() }
    })
    .await;
    let mut ids: Vec<_> = leased.iter().flatten().map(|j| j.id.to_string()).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no job leased twice");
    assert_eq!(total, 24, "every due job leased by someone");
    assert!(deposits.claim_credits(4_000, 60_000, 100).await.unwrap().is_empty(), "leased jobs wait for their lease to end");
    let again = deposits.claim_credits(63_001, 60_000, 100).await.unwrap();
    assert_eq!(again.len(), 24, "an expired lease is taken again");
    assert!(again.iter().all(|j| j.attempt == 2), "the attempt is counted");
}

pub async fn a_stale_attempt_cannot_close_a_job(b: Backend) {
    let deposits = b.store.deposits.clone();
    let d = pending(&b.store, 5001, "k", 1_000).await;
    deposits.confirm("evt", &d.id, 700, 2_000).await.unwrap();
    let first = deposits.claim_credits(3_000, 1_000, 1).await.unwrap().remove(0);
    let second = deposits.claim_credits(5_000, 1_000, 1).await.unwrap().remove(0);
    assert_eq!((first.attempt, second.attempt), (1, 2));
    // Both workers finish at once; only the latest lease may close the job.
    let closed = all_at_once(2, |i| {
        let (deposits, id) = (deposits.clone(), d.id.clone());
        let attempt = if i == 0 { first.attempt } else { second.attempt };
        async move { deposits.mark_credited(&id, attempt, 90 + attempt, 6_000, None).await.unwrap() }
    })
    .await;
    assert_eq!(closed, vec![false, true]);
    // Whichever finished first recorded the copy it made (both are real
    // balance changes; the audit's second look finds the other one).
    let credited = deposits.get(&d.id).await.unwrap().unwrap();
    assert_eq!(credited.state, DepositState::Credited);
    assert!(matches!(credited.balance_history_id, Some(91 | 92)), "{credited:?}");
    assert!(!deposits.mark_credited(&d.id, second.attempt, 93, 7_000, None).await.unwrap(), "a closed job stays closed");
    assert_eq!(deposits.get(&d.id).await.unwrap().unwrap().balance_history_id, credited.balance_history_id, "the recorded copy is never overwritten");
    assert!(deposits.claim_credits(100_000, 1_000, 10).await.unwrap().is_empty(), "a closed job is never leased again");
}

pub async fn queues_page_oldest_first(b: Backend) {
    let deposits = b.store.deposits.clone();
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(pending(&b.store, 6000 + i, "k", 10_000 - i * 1_000).await.id);
    }
    assert_eq!(deposits.count(Some(DepositState::Pending)).await.unwrap(), 5);
    assert_eq!(deposits.count(Some(DepositState::Credited)).await.unwrap(), 0);
    let page = |offset| {
        let deposits = deposits.clone();
        async move { deposits.page(Some(DepositState::Pending), 2, offset).await.unwrap().into_iter().map(|d| d.id).collect::<Vec<_>>() }
    };
    // In a state's queue the longest waiting comes first; all deposits, newest first.
    assert_eq!(page(0).await, vec![made[4].clone(), made[3].clone()]);
    assert_eq!(page(4).await, vec![made[0].clone()]);
    let all: Vec<_> = deposits.page(None, 10, 0).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(all, made);
    let recent: Vec<_> = deposits.recent(login(6002), 10).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(recent, vec![made[2].clone()]);
}

pub(super) fn withdrawal(key: &str, amount_minor: i64, four_eyes: bool) -> WithdrawalRecord {
    WithdrawalRecord {
        id: WithdrawalId::generate(),
        login: login(7001),
        user_id: 1,
        idempotency_key: key.into(),
        currency: "EUR".parse().unwrap(),
        digits: 2,
        amount_minor,
        payout: "bank".into(),
        iban: Some("DE89370400440532013000".into()),
        holder: Some("Ada Lovelace".into()),
        card_deposit_id: None,
        state: WithdrawalState::Requested,
        reject_code: None,
        reason: None,
        four_eyes,
        first_approved_by: None,
        approved_by: None,
        approved_at: None,
        rejected_by: None,
        balance_history_id: None,
        paid_reference: None,
        paid_by: None,
        paid_at: None,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

async fn finance(store: &Store, email: &str) -> i64 {
    assert!(store.staff.create_staff(email, "hash", Role::Finance, 1_000).await.unwrap());
    store.staff.staff_by_email(email).await.unwrap().unwrap().id
}

async fn requested(store: &Store, key: &str, four_eyes: bool) -> WithdrawalId {
    match store.withdrawals.request(&withdrawal(key, 2_500, four_eyes), 1_000_000, None).await.unwrap() {
        RequestOutcome::Created(w) => w.id,
        other => panic!("{other:?}"),
    }
}

pub async fn open_withdrawals_never_exceed_the_balance(b: Backend) {
    let withdrawals = b.store.withdrawals.clone();
    // Eight forms of 30.00 against a balance of 100.00, at once.
    let outcomes = all_at_once(8, |i| {
        let withdrawals = withdrawals.clone();
        async move { withdrawals.request(&withdrawal(&format!("form-{i}"), 3_000, false), 10_000, None).await.unwrap() }
    })
    .await;
    let created = outcomes.iter().filter(|o| matches!(o, RequestOutcome::Created(_))).count();
    assert_eq!(created, 3, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, RequestOutcome::Created(_) | RequestOutcome::OverBalance { .. })), "{outcomes:?}");
    assert_eq!(withdrawals.held_minor(login(7001)).await.unwrap(), 9_000);
    // The same form again answers the first request.
    let again = withdrawals.request(&withdrawal("form-same", 100, false), 10_000, None).await.unwrap();
    let RequestOutcome::Created(first) = again else { panic!("{again:?}") };
    let resent = withdrawals.request(&withdrawal("form-same", 100, false), 10_000, None).await.unwrap();
    assert_eq!(resent, RequestOutcome::Existing(first));
}

pub async fn a_withdrawal_is_approved_and_debited_once(b: Backend) {
    let staff = finance(&b.store, "f1@broker.example").await;
    let id = requested(&b.store, "w", false).await;
    let withdrawals = b.store.withdrawals.clone();
    let decisions = all_at_once(6, |_| {
        let (withdrawals, id) = (withdrawals.clone(), id.clone());
        async move { withdrawals.approve(&id, staff, 2_000).await.unwrap() }
    })
    .await;
    assert_eq!(decisions.iter().filter(|d| **d == Decision::Done).count(), 1, "{decisions:?}");
    assert!(decisions.iter().all(|d| matches!(d, Decision::Done | Decision::WrongState)), "{decisions:?}");
    let jobs = withdrawals.claim_debits(3_000, 60_000, 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "one debit queued");
    assert_eq!(jobs[0].amount_minor, 2_500);
    // The trader's cancel comes too late; the debit lands once.
    assert!(!withdrawals.cancel(&id, login(7001), 3_500).await.unwrap());
    assert!(withdrawals.mark_debited(&id, jobs[0].attempt, 77, 4_000, None).await.unwrap());
    assert!(!withdrawals.mark_debited(&id, jobs[0].attempt, 78, 4_000, None).await.unwrap());
    let w = withdrawals.get(&id).await.unwrap().unwrap();
    assert_eq!((w.state, w.balance_history_id), (WithdrawalState::Debited, Some(77)));
}

pub async fn four_eyes_hold_when_two_approve_at_once(b: Backend) {
    let (alice, bob) = (finance(&b.store, "alice@broker.example").await, finance(&b.store, "bob@broker.example").await);
    let withdrawals = b.store.withdrawals.clone();
    // Two different finance users click at the same moment.
    let id = requested(&b.store, "a", true).await;
    let decisions = all_at_once(2, |i| {
        let (withdrawals, id) = (withdrawals.clone(), id.clone());
        async move { withdrawals.approve(&id, if i == 0 { alice } else { bob }, 2_000).await.unwrap() }
    })
    .await;
    let mut sorted = decisions.clone();
    sorted.sort_by_key(|d| format!("{d:?}"));
    assert_eq!(sorted, vec![Decision::AwaitingSecond, Decision::Done], "one first approval, one second");
    let w = withdrawals.get(&id).await.unwrap().unwrap();
    assert_eq!(w.state, WithdrawalState::Approved);
    assert_ne!(w.first_approved_by, w.approved_by);
    // One user clicking twice at once never gives both approvals.
    let id = requested(&b.store, "b", true).await;
    let decisions = all_at_once(4, |_| {
        let (withdrawals, id) = (withdrawals.clone(), id.clone());
        async move { withdrawals.approve(&id, alice, 2_000).await.unwrap() }
    })
    .await;
    assert_eq!(decisions.iter().filter(|d| **d == Decision::AwaitingSecond).count(), 1, "{decisions:?}");
    assert!(!decisions.contains(&Decision::Done), "{decisions:?}");
    assert_eq!(withdrawals.get(&id).await.unwrap().unwrap().state, WithdrawalState::Requested);
    assert_eq!(withdrawals.claim_debits(3_000, 60_000, 10).await.unwrap().len(), 1, "only the first withdrawal's debit");
}

async fn awaiting_funds(store: &Store, login_n: i64, reference: &str) -> DepositRecord {
    let mut d = deposit(login_n, "wire", 1_000);
    d.state = DepositState::AwaitingFunds;
    d.method = "bank_transfer".into();
    let (d, created) = store.deposits.create_or_get(&d).await.unwrap();
    assert!(created);
    store.deposits.set_provider_payment(&d.id, reference, 1_000).await.unwrap();
    d
}

fn wire(d: &DepositRecord, entry_id: Option<i64>, four_eyes: bool, recorded_by: i64) -> broker_inapp::store::NewWire {
    broker_inapp::store::NewWire {
        deposit_id: d.id.clone(),
        amount_minor: 10_000,
        value_date: "2026-12-01".into(),
        entry_id,
        four_eyes,
        recorded_by,
        now: 2_000,
    }
}

pub async fn a_bank_wire_is_recorded_approved_and_credited_once(b: Backend) {
    use broker_inapp::store::WireOutcome;
    let (alice, bob) = (finance(&b.store, "alice@broker.example").await, finance(&b.store, "bob@broker.example").await);
    let bank = b.store.bank.clone();
    // Two finance users record the same money at once.
    let d = awaiting_funds(&b.store, 7101, "RF18539007547034").await;
    let outcomes = all_at_once(6, |i| {
        let (bank, w) = (bank.clone(), wire(&d, None, false, if i % 2 == 0 { alice } else { bob }));
        async move { bank.record_wire(&w).await.unwrap() }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| **o == WireOutcome::Confirmed).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, WireOutcome::Confirmed | WireOutcome::AlreadyRecorded)), "{outcomes:?}");
    // Above the four-eyes amount: recorded by one, approved at once by the other from two tabs.
    let big = awaiting_funds(&b.store, 7102, "RF71123456789012").await;
    assert_eq!(bank.record_wire(&wire(&big, None, true, alice)).await.unwrap(), WireOutcome::AwaitingApproval);
    let id = bank.wires(Some(broker_inapp::store::WireState::AwaitingApproval), 10).await.unwrap()[0].id;
    assert_eq!(bank.approve_wire(id, alice, 3_000).await.unwrap(), WireOutcome::SameApprover);
    let approvals = all_at_once(4, |_| {
        let bank = bank.clone();
        async move { bank.approve_wire(id, bob, 3_000).await.unwrap() }
    })
    .await;
    assert_eq!(approvals.iter().filter(|o| **o == WireOutcome::Confirmed).count(), 1, "{approvals:?}");
    assert!(!approvals.contains(&WireOutcome::NotFound), "{approvals:?}");
    let jobs = b.store.deposits.claim_credits(4_000, 60_000, 10).await.unwrap();
    assert_eq!(jobs.len(), 2, "one credit per deposit");
}

pub async fn a_statement_line_is_either_used_or_set_aside(b: Backend) {
    use broker_inapp::store::{NewEntry, WireOutcome};
    let alice = finance(&b.store, "alice@broker.example").await;
    let bank = b.store.bank.clone();
    for n in 0..6 {
        let d = awaiting_funds(&b.store, 7200 + n, &format!("RF{n:02}TEST")).await;
        let line = NewEntry {
            entry_key: format!("stmt-1/{n}"),
            statement_id: "stmt-1".into(),
            amount: rust_decimal::Decimal::new(10_000, 2),
            currency: "USD".into(),
            value_date: "2026-12-01".into(),
            reference: Some(format!("RF{n:02}TEST")),
            remittance: "deposit".into(),
            debtor: "Ada".into(),
        };
        assert_eq!(bank.import_entries(&[line], 1_500).await.unwrap(), 1);
        let entry = bank.open_entries(10).await.unwrap().into_iter().find(|e| e.reference.as_deref() == Some(&format!("RF{n:02}TEST"))).unwrap().id;
        // One finance user assigns the line while another sets it aside.
        let w = wire(&d, Some(entry), false, alice);
        let (recorded, dismissed) = tokio::join!(bank.record_wire(&w), bank.dismiss_entry(entry, alice, 2_000));
        let (recorded, dismissed) = (recorded.unwrap(), dismissed.unwrap());
        assert!(!(recorded == WireOutcome::Confirmed && dismissed), "line {n} both used and set aside");
    }
}
