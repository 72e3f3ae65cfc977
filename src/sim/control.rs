//! The simulator's control API: mint tokens, read a trader's state, count
//! calls, inject faults. Used by `make run`, the tests and QA suites.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::Row;

use super::contract::{decimal_of, find_trader, random_token, to_minor};
use super::faults::{self, Fault, ENDPOINTS};
use super::json::{error, internal, parse, Reply};
use super::SimState;
use crate::time::{now_ms, rfc3339};

const DEMO_NAMES: [(&str, &str); 8] = [
    ("Alex", "Morgan"),
    ("Sam", "Rivera"),
    ("Jordan", "Lee"),
    ("Maria", "García"),
    ("Yuki", "Tanaka"),
    ("Omar", "Haddad"),
    ("Anna", "Kowalska"),
    ("Luca", "Rossi"),
];

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintRequest {
    pub login: Option<i64>,
    pub name: Option<String>,
    pub currency: Option<String>,
    pub balance: Option<serde_json::Value>,
    pub money_digits: Option<u32>,
    pub access_rights: Option<String>,
    pub ttl_seconds: Option<u64>,
    /// A token that expired a moment ago: the expiry pages, without waiting.
    pub expired: Option<bool>,
}

pub struct NewTrader {
    pub login: i64,
    pub user_id: i64,
    pub trader_id: i64,
}

/// Finds or creates the trader (details apply only on creation), then mints a token.
pub async fn mint(s: &SimState, req: MintRequest) -> Result<(String, NewTrader, i64), Response> {
    if let Some(login) = req.login {
        if !(1..=2_000_000_000).contains(&login) {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_LOGIN", "login must be between 1 and 2000000000"));
        }
    }
    let currency = req.currency.clone().unwrap_or_else(|| "USD".into()).to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_CURRENCY", "currency must be a 3-letter ISO code"));
    }
    let digits = req.money_digits.unwrap_or(2);
    if digits > 8 {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_MONEY_DIGITS", "moneyDigits must be 0 to 8"));
    }
    let balance = match &req.balance {
        None => Decimal::new(1000, 0),
        Some(v) => decimal_of(v).ok_or_else(|| error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_BALANCE", "balance must be a decimal"))?,
    };
    let balance_minor = if balance.is_zero() { Some(0) } else { to_minor(balance, digits) }
        .ok_or_else(|| error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_BALANCE", "balance must be zero or positive with at most moneyDigits decimals"))?;
    let ttl_ms = req.ttl_seconds.map(|t| (t.clamp(1, 3600) * 1000) as i64).unwrap_or(s.token_ttl_ms);
    let now = now_ms();

    let mut tx = crate::store::sqlite::write_tx(&s.pool).await.map_err(internal)?;
    let login: i64 = match req.login {
        Some(l) => l,
        None => {
            sqlx::query("SELECT COALESCE(MAX(login), 100000) + 1 FROM sim_traders").fetch_one(&mut *tx).await.and_then(|r| r.try_get(0)).map_err(internal)?
        }
    };
    let (first, last) = match req.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(full) => match full.split_once(' ') {
            Some((f, l)) => (f.to_string(), l.to_string()),
            None => (full.to_string(), String::new()),
        },
        None => {
            let (f, l) = DEMO_NAMES[(login as usize) % DEMO_NAMES.len()];
            (f.to_string(), l.to_string())
        }
    };
    sqlx::query(
        "INSERT INTO sim_traders (login, user_id, trader_id, name, last_name, email, currency, money_digits, balance, access_rights, created_at) \
         VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(login) DO NOTHING",
    )
    .bind(login)
    .bind(7_000_000_000i64 + login)
    .bind(5_000_000_000i64 + login)
    .bind(&first)
    .bind(&last)
    .bind(format!("trader{login}@example.com"))
    .bind(&currency)
    .bind(digits as i64)
    .bind(balance_minor)
    .bind(req.access_rights.as_deref().unwrap_or("FULL_ACCESS"))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let row = sqlx::query("SELECT user_id, trader_id FROM sim_traders WHERE login = ?").bind(login).fetch_one(&mut *tx).await.map_err(internal)?;
    let token = random_token();
    let expires_at = if req.expired == Some(true) { now - 1 } else { now + ttl_ms };
    sqlx::query("INSERT INTO sim_ot_tokens (token, login, expires_at) VALUES (?,?,?)")
        .bind(&token)
        .bind(login)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    let trader = NewTrader { login, user_id: row.try_get("user_id").map_err(internal)?, trader_id: row.try_get("trader_id").map_err(internal)? };
    Ok((token, trader, expires_at))
}

/// `POST /sim/tokens` `{"login": 100001}` (every field optional).
pub async fn mint_token(State(s): State<SimState>, body: Bytes) -> Reply {
    let req: MintRequest = parse(&body)?;
    let (token, t, expires_at) = mint(&s, req).await?;
    let minted = serde_json::json!({
        "token": token,
        "userId": t.user_id,
        "traderId": t.trader_id,
        "accountId": t.login,
        "login": t.login,
        "expiresAt": rfc3339(expires_at),
    });
    Ok((StatusCode::CREATED, axum::Json(minted)).into_response())
}

/// `GET /sim/traders/{login}`: balance, balance history (amounts as decimal
/// strings), access rights and the updates the broker made to the trader.
pub async fn trader_state(State(s): State<SimState>, Path(login): Path<String>) -> Reply {
    let (login, row) = find_trader(&s, &login).await?;
    let digits = row.try_get::<i64, _>("money_digits").unwrap_or(2) as u32;
    let money = |minor: i64| Decimal::new(minor, digits).to_string();
    let history = match sqlx::query("SELECT * FROM sim_balance_history WHERE login = ? ORDER BY id").bind(login).fetch_all(&s.pool).await {
        Ok(rows) => rows
            .iter()
            .map(|h| {
                let kind = h.try_get::<String, _>("type").unwrap_or_default();
                let amount: i64 = h.try_get("amount").unwrap_or_default();
                serde_json::json!({
                    "balanceHistoryId": h.try_get::<i64, _>("id").unwrap_or_default(),
                    "type": kind,
                    "preciseAmount": money(amount),
                    // Signed, as the balance moved: negative for a withdrawal.
                    "delta": money(if kind == "WITHDRAW" { -amount } else { amount }),
                    "balanceAfter": money(h.try_get("balance_after").unwrap_or_default()),
                    "externalId": h.try_get::<Option<String>, _>("external_id").unwrap_or_default(),
                    "comment": h.try_get::<Option<String>, _>("comment").unwrap_or_default(),
                    "timestamp": rfc3339(h.try_get("created_at").unwrap_or_default()),
                })
            })
            .collect::<Vec<_>>(),
        Err(e) => return Err(internal(e)),
    };
    let updates = match sqlx::query_as::<_, (String, String, i64)>("SELECT field, value, created_at FROM sim_trader_updates WHERE login = ? ORDER BY id")
        .bind(login)
        .fetch_all(&s.pool)
        .await
    {
        Ok(rows) => {
            rows.into_iter().map(|(field, value, at)| serde_json::json!({ "field": field, "value": value, "timestamp": rfc3339(at) })).collect::<Vec<_>>()
        }
        Err(e) => return Err(internal(e)),
    };
    let name = format!("{} {}", row.try_get::<String, _>("name").unwrap_or_default(), row.try_get::<String, _>("last_name").unwrap_or_default());
    Ok(axum::Json(serde_json::json!({
        "login": login,
        "name": name.trim(),
        "userId": row.try_get::<i64, _>("user_id").unwrap_or_default(),
        "traderId": row.try_get::<i64, _>("trader_id").unwrap_or_default(),
        "currency": row.try_get::<String, _>("currency").unwrap_or_default(),
        "moneyDigits": digits,
        "balance": money(row.try_get("balance").unwrap_or_default()),
        "accessRights": row.try_get::<String, _>("access_rights").unwrap_or_default(),
        "history": history,
        "updates": updates,
    }))
    .into_response())
}

/// `GET /sim/stats`: calls per contract endpoint since the last reset.
pub async fn stats(State(s): State<SimState>) -> Response {
    let rows = match sqlx::query("SELECT endpoint, count FROM sim_calls").fetch_all(&s.pool).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let mut calls = serde_json::Map::new();
    for e in ENDPOINTS {
        calls.insert(e.into(), 0.into());
    }
    for r in rows {
        calls.insert(r.try_get::<String, _>("endpoint").unwrap_or_default(), r.try_get::<i64, _>("count").unwrap_or_default().into());
    }
    let slow_pending = s.slow_pending.load(std::sync::atomic::Ordering::SeqCst);
    let in_flight: serde_json::Map<_, _> = s.in_flight_counts().map(|(e, n)| (e.to_string(), n.into())).collect();
    let changes = in_flight.get("changeBalance").cloned().unwrap_or_default();
    axum::Json(serde_json::json!({ "calls": calls, "inFlight": in_flight, "slowApplyPending": slow_pending, "changeBalanceInFlight": changes })).into_response()
}

pub async fn reset_stats(State(s): State<SimState>) -> Response {
    match sqlx::query("DELETE FROM sim_calls").execute(&s.pool).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}

pub async fn list_faults(State(s): State<SimState>) -> Response {
    match faults::list(&s).await {
        Ok(f) => axum::Json(serde_json::json!({ "faults": f })).into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /sim/faults` `{"endpoint": "resolve", "kind": "delay", "delayMs": 8000}`.
pub async fn set_fault(State(s): State<SimState>, body: Bytes) -> Reply {
    let fault: Fault = parse(&body)?;
    check_fault(&fault)?;
    faults::save(&s, &fault).await.map_err(internal)?;
    Ok((StatusCode::CREATED, axum::Json(fault)).into_response())
}

fn check_fault(fault: &Fault) -> Result<(), Response> {
    if fault.endpoint != "*" && !ENDPOINTS.contains(&fault.endpoint.as_str()) {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_ENDPOINT", format!("endpoint must be one of {ENDPOINTS:?} or \"*\"")));
    }
    if !(0.0..=1.0).contains(&fault.probability) {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_PROBABILITY", "probability must be between 0 and 1"));
    }
    if fault.delay_ms > 120_000 {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_DELAY", "delayMs must be at most 120000"));
    }
    Ok(())
}

/// The `/sim` page's fault form (the same fault as `POST /sim/faults`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultForm {
    endpoint: String,
    kind: faults::FaultKind,
    delay_ms: u64,
    status: u16,
    probability: f64,
}

pub async fn set_fault_form(State(s): State<SimState>, axum::Form(f): axum::Form<FaultForm>) -> Response {
    let fault = Fault { endpoint: f.endpoint, kind: f.kind, delay_ms: f.delay_ms, status: f.status, probability: f.probability, remaining: None };
    if let Err(r) = check_fault(&fault) {
        return r;
    }
    match faults::save(&s, &fault).await {
        Ok(()) => (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, "/sim")]).into_response(),
        Err(e) => internal(e),
    }
}

pub async fn clear_faults_form(State(s): State<SimState>) -> Response {
    match sqlx::query("DELETE FROM sim_faults").execute(&s.pool).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, "/sim")]).into_response(),
        Err(e) => internal(e),
    }
}

pub async fn clear_faults(State(s): State<SimState>) -> Response {
    match sqlx::query("DELETE FROM sim_faults").execute(&s.pool).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}
