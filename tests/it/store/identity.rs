//! Sessions, one-time token claims, Full SSO codes, staff accounts.

use broker_inapp::store::{Claim, OneTime, Role, SessionRecord};

use crate::store::backend::{all_at_once, login, Backend};

pub async fn sessions_round_trip(b: Backend) {
    let s = &b.store.sessions;
    let record = SessionRecord {
        id_hash: "h1".into(),
        user_id: 7,
        trader_id: Some(8),
        account_id: None,
        login: login(1001),
        broker_name: Some("Broker".into()),
        trader_name: None,
        currency: Some("EUR".into()),
        lang: "en".into(),
        theme: "default".into(),
        source: "web".into(),
        created_at: 1_000,
        last_seen_at: 1_000,
        expires_at: 100_000,
        switched_from: Some(login(1000)),
        kyc_back: None,
        kyc_type: Some("standard".into()),
    };
    s.insert(&record).await.unwrap();
    assert_eq!(s.find("h1").await.unwrap(), Some(record.clone()), "every field reads back as written");
    s.touch("h1", 2_000, "de", "dark", "app").await.unwrap();
    let touched = s.find("h1").await.unwrap().unwrap();
    assert_eq!((touched.last_seen_at, touched.lang.as_str(), touched.theme.as_str(), touched.source.as_str()), (2_000, "de", "dark", "app"));
    s.clear_switched("h1").await.unwrap();
    assert_eq!(s.find("h1").await.unwrap().unwrap().switched_from, None);
    assert_eq!(s.purge(3_000, 1_500).await.unwrap(), 0, "seen at 2000, after the idle cutoff");
    assert_eq!(s.purge(3_000, 2_500).await.unwrap(), 1, "idle since before the cutoff");
    assert_eq!(s.find("h1").await.unwrap(), None);
}

pub async fn a_one_time_token_is_claimed_once(b: Backend) {
    let claims = b.store.token_claims.clone();
    let outcomes = all_at_once(12, |_| {
        let claims = claims.clone();
        async move { claims.claim("token-hash", 1_000).await.unwrap() }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|c| **c == Claim::Won).count(), 1, "{outcomes:?}");
    claims.release("token-hash").await.unwrap();
    assert_eq!(claims.claim("token-hash", 2_000).await.unwrap(), Claim::Won, "a released token can be tried again");
    assert_eq!(claims.purge(3_000).await.unwrap(), 1);
}

pub async fn an_sso_code_is_redeemed_once(b: Backend) {
    let sso = b.store.sso.clone();
    let user = sso.create_user("t@example.com", "hash", login(2001), 1_000).await.unwrap().expect("a new user");
    assert_eq!(sso.create_user("t@example.com", "hash", login(2002), 1_000).await.unwrap(), None, "the email is taken");
    sso.insert_one_time("code-hash", "code", user, 1_000, 60_000).await.unwrap();
    let outcomes = all_at_once(10, |_| {
        let sso = sso.clone();
        async move { sso.redeem_one_time("code-hash", "code", 2_000).await.unwrap() }
    })
    .await;
    let redeemed: Vec<_> = outcomes.iter().filter(|o| matches!(o, OneTime::Redeemed(_))).collect();
    assert_eq!(redeemed.len(), 1, "{outcomes:?}");
    assert!(matches!(redeemed[0], OneTime::Redeemed(u) if u.user_id == user && u.login == login(2001)));
    sso.insert_one_time("late-hash", "code", user, 1_000, 60_000).await.unwrap();
    assert_eq!(sso.redeem_one_time("late-hash", "code", 60_001).await.unwrap(), OneTime::Expired);
    assert_eq!(sso.redeem_one_time("late-hash", "screen", 2_000).await.unwrap(), OneTime::Invalid, "a code of another kind");
}

pub async fn a_staff_email_is_taken_once(b: Backend) {
    let staff = b.store.staff.clone();
    let created = all_at_once(8, |_| {
        let staff = staff.clone();
        async move { staff.create_staff("agent@broker.example", "hash", Role::Support, 1_000).await.unwrap() }
    })
    .await;
    assert_eq!(created.iter().filter(|c| **c).count(), 1, "{created:?}");
    let agent = staff.staff_by_email("agent@broker.example").await.unwrap().unwrap();
    assert_eq!(agent.role, Role::Support);
    staff.insert_staff_session("s1", agent.id, 1_000, 10_000).await.unwrap();
    assert_eq!(staff.staff_for_session("s1", 2_000, 500).await.unwrap().map(|s| s.id), Some(agent.id));
    assert_eq!(staff.staff_for_session("s1", 20_000, 500).await.unwrap(), None, "past its absolute expiry");
}

/// During a rolling upgrade (or after a rollback) an instance of this
/// version meets a database a newer one already migrated further: it opens
/// it, and is ready, since none of its own migrations is missing.
pub async fn a_database_a_newer_version_migrated_still_opens(b: Backend) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&b.url).await.unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, 0)")
        .bind(99_999_i64)
        .bind("from a newer version")
        .bind(vec![0u8; 48])
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let again = broker_inapp::store::connect(&b.url).await.expect("a newer database opens");
    again.ready().await.expect("ready: this version's migrations are all there");
    assert_eq!(again.migration().await.unwrap(), 99_999);
}
