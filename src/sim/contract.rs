//! The cTrader endpoints, as the broker's server calls them.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use base64::Engine;
use rand::RngCore;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::Row;

use super::json::{error, internal, parse, Reply};
use super::{faults, SimState};
use crate::time::now_ms;

const MANAGER_TOKEN_TTL_MS: i64 = 60 * 60 * 1000;

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManagerLogin {
    login: u64,
    hashed_password: String,
}

pub async fn manager_token(State(s): State<SimState>, body: Bytes) -> Reply {
    let req: ManagerLogin = parse(&body)?;
    if req.login != s.manager_login || !req.hashed_password.eq_ignore_ascii_case(&s.hashed_password) {
        return Err(error(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "manager login or password is wrong"));
    }
    let token = random_token();
    if let Err(e) = sqlx::query("INSERT INTO sim_manager_tokens (token, expires_at) VALUES (?, ?)")
        .bind(&token)
        .bind(now_ms() + MANAGER_TOKEN_TTL_MS)
        .execute(&s.pool)
        .await
    {
        return Err(internal(e));
    }
    Ok(axum::Json(serde_json::json!({ "webservToken": token })).into_response())
}

#[derive(Deserialize)]
pub struct ManagerAuth {
    token: Option<String>,
}

/// Checks `?token=` against the issued manager tokens.
async fn authorize(s: &SimState, token: Option<&str>) -> Result<(), Response> {
    let Some(token) = token else {
        return Err(error(StatusCode::UNAUTHORIZED, "MISSING_TOKEN", "manager token missing"));
    };
    let valid = sqlx::query("SELECT 1 FROM sim_manager_tokens WHERE token = ? AND expires_at > ?")
        .bind(token)
        .bind(now_ms())
        .fetch_optional(&s.pool)
        .await
        .map_err(internal)?;
    match valid {
        Some(_) => Ok(()),
        None => Err(error(StatusCode::UNAUTHORIZED, "INVALID_TOKEN", "manager token invalid or expired")),
    }
}

pub fn parse_login(raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>().map_err(|_| error(StatusCode::BAD_REQUEST, "INVALID_LOGIN", "login must be a number"))
}

/// The trader a path's `{login}` names: 400 when it is not a number, 404 when unknown.
pub async fn find_trader(s: &SimState, raw_login: &str) -> Result<(i64, sqlx::sqlite::SqliteRow), Response> {
    let login = parse_login(raw_login)?;
    match sqlx::query("SELECT * FROM sim_traders WHERE login = ?").bind(login).fetch_optional(&s.pool).await {
        Ok(Some(row)) => Ok((login, row)),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, "TRADER_NOT_FOUND", "no trader with this login")),
        Err(e) => Err(internal(e)),
    }
}

/// A one-time token's owner, or why it cannot be used. Marks it used atomically.
enum Redeem {
    Ok { login: i64, user_id: i64, trader_id: i64, email: String },
    Unknown,
    ExpiredOrUsed,
}

async fn redeem(s: &SimState, ot: &str) -> Result<Redeem, sqlx::Error> {
    let now = now_ms();
    let taken = sqlx::query("UPDATE sim_ot_tokens SET used_at = ? WHERE token = ? AND used_at IS NULL AND expires_at > ?")
        .bind(now)
        .bind(ot)
        .bind(now)
        .execute(&s.pool)
        .await?;
    if taken.rows_affected() == 0 {
        let exists = sqlx::query("SELECT 1 FROM sim_ot_tokens WHERE token = ?").bind(ot).fetch_optional(&s.pool).await?;
        return Ok(if exists.is_some() { Redeem::ExpiredOrUsed } else { Redeem::Unknown });
    }
    let row = sqlx::query("SELECT t.login, t.user_id, t.trader_id, t.email FROM sim_ot_tokens o JOIN sim_traders t ON t.login = o.login WHERE o.token = ?")
        .bind(ot)
        .fetch_one(&s.pool)
        .await?;
    Ok(Redeem::Ok { login: row.try_get("login")?, user_id: row.try_get("user_id")?, trader_id: row.try_get("trader_id")?, email: row.try_get("email")? })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtDataQuery {
    token: Option<String>,
    in_app_one_time_token: Option<String>,
}

/// `GET /ctid2/inAppOneTimeToken/data` (cTrader's original InApp contract): 404 unknown, 410 expired or used.
pub async fn ot_data(State(s): State<SimState>, Query(q): Query<OtDataQuery>) -> Reply {
    authorize(&s, q.token.as_deref()).await?;
    let ot = q.in_app_one_time_token.unwrap_or_default();
    let answer = match redeem(&s, &ot).await {
        Ok(Redeem::Ok { login, user_id, trader_id, .. }) => axum::Json(serde_json::json!({
            "userId": user_id,
            "traderId": trader_id,
            "brokerName": "simulator",
            "accountId": login,
        }))
        .into_response(),
        Ok(Redeem::Unknown) => error(StatusCode::NOT_FOUND, "TOKEN_NOT_FOUND", "token not found"),
        Ok(Redeem::ExpiredOrUsed) => error(StatusCode::GONE, "TOKEN_EXPIRED", "token expired or already consumed"),
        Err(e) => internal(e),
    };
    Ok(answer)
}

#[derive(Deserialize)]
pub struct RedeemBody {
    token: String,
}

/// `POST /ctid2/inAppToken/redeem` (the newer contract): 404 for unknown, expired or used.
pub async fn ot_redeem(State(s): State<SimState>, Query(q): Query<ManagerAuth>, body: Bytes) -> Reply {
    authorize(&s, q.token.as_deref()).await?;
    let req: RedeemBody = parse(&body)?;
    let answer = match redeem(&s, &req.token).await {
        Ok(Redeem::Ok { login, user_id, email, .. }) => {
            axum::Json(serde_json::json!({ "userId": user_id, "email": email, "tradingLogin": login })).into_response()
        }
        Ok(_) => error(StatusCode::NOT_FOUND, "TOKEN_NOT_FOUND", "token not found, expired or consumed"),
        Err(e) => internal(e),
    };
    Ok(answer)
}

pub async fn trader(State(s): State<SimState>, Path(login): Path<String>, Query(q): Query<ManagerAuth>) -> Reply {
    authorize(&s, q.token.as_deref()).await?;
    let (login, row) = find_trader(&s, &login).await?;
    let get = |c: &str| row.try_get::<String, _>(c).unwrap_or_default();
    let answer = axum::Json(serde_json::json!({
        "login": login,
        "name": get("name"),
        "lastName": get("last_name"),
        "email": get("email"),
        "balance": row.try_get::<i64, _>("balance").unwrap_or_default(),
        "moneyDigits": row.try_get::<i64, _>("money_digits").unwrap_or(2),
        "depositCurrency": get("currency"),
        "accessRights": get("access_rights"),
    }))
    .into_response();
    Ok(answer)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeBalance {
    login: Option<i64>,
    precise_amount: serde_json::Value,
    #[serde(rename = "type")]
    kind: String,
    comment: Option<String>,
    external_note: Option<String>,
    external_id: Option<String>,
    source: Option<String>,
}

/// An amount as cTrader reads it, into minor units; `None` if it has more
/// decimals than the account's currency or is not positive.
pub fn to_minor(amount: Decimal, money_digits: u32) -> Option<i64> {
    if amount <= Decimal::ZERO || amount.normalize().scale() > money_digits {
        return None;
    }
    use rust_decimal::prelude::ToPrimitive;
    amount.checked_mul(Decimal::from(10i64.checked_pow(money_digits)?))?.to_i64()
}

pub fn decimal_of(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        serde_json::Value::String(s) => Decimal::from_str(s.trim()).ok(),
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

pub async fn change_balance(
    State(s): State<SimState>,
    Path(login): Path<String>,
    Query(q): Query<ManagerAuth>,
    slow: Option<Extension<faults::SlowApply>>,
    body: Bytes,
) -> Reply {
    authorize(&s, q.token.as_deref()).await?;
    let login = parse_login(&login)?;
    let req: ChangeBalance = parse(&body)?;
    if req.login.is_some_and(|l| l != login) {
        return Err(error(StatusCode::BAD_REQUEST, "LOGIN_MISMATCH", "login in body differs from the path"));
    }
    let sign = match req.kind.as_str() {
        "DEPOSIT" => 1,
        "WITHDRAW" => -1,
        _ => return Err(error(StatusCode::BAD_REQUEST, "INVALID_TYPE", "type must be DEPOSIT or WITHDRAW")),
    };
    let Some(amount) = decimal_of(&req.precise_amount) else {
        return Err(error(StatusCode::BAD_REQUEST, "INVALID_AMOUNT", "preciseAmount must be a number"));
    };
    if let Some(Extension(faults::SlowApply { due })) = slow {
        // cTrader still working after the caller gave up: the change lands at
        // `due` whether or not anyone still waits, and stays in flight until then.
        let (in_flight, s) = (s.in_flight("changeBalance"), s.clone());
        s.slow_pending.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::spawn(async move {
            let _in_flight = in_flight;
            tokio::time::sleep_until(due).await;
            let landed = apply_change(&s, login, sign, amount, &req).await;
            s.slow_pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            landed
        })
        .await
        .unwrap_or_else(|e| Err(internal(e)))
    } else {
        apply_change(&s, login, sign, amount, &req).await
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraderUpdate {
    access_rights: Option<String>,
}

const ACCESS_RIGHTS: [&str; 4] = ["FULL_ACCESS", "CLOSE_ONLY", "NO_TRADING", "NO_LOGIN"];

/// `PATCH /v2/webserv/traders/{login}`: the fields it knows (`accessRights`)
/// are changed and each change is recorded for the control API to show.
pub async fn update_trader(State(s): State<SimState>, Path(login): Path<String>, Query(q): Query<ManagerAuth>, body: Bytes) -> Reply {
    authorize(&s, q.token.as_deref()).await?;
    let login = parse_login(&login)?;
    let req: TraderUpdate = parse(&body)?;
    let Some(rights) = req.access_rights else {
        return Err(error(StatusCode::BAD_REQUEST, "NOTHING_TO_UPDATE", "send accessRights"));
    };
    if !ACCESS_RIGHTS.contains(&rights.as_str()) {
        return Err(error(StatusCode::BAD_REQUEST, "INVALID_ACCESS_RIGHTS", "accessRights must be FULL_ACCESS, CLOSE_ONLY, NO_TRADING or NO_LOGIN"));
    }
    let answer = async {
        let mut tx = crate::store::sqlite::write_tx(&s.pool).await.map_err(internal)?;
        let updated =
            sqlx::query("UPDATE sim_traders SET access_rights = ? WHERE login = ?").bind(&rights).bind(login).execute(&mut *tx).await.map_err(internal)?;
        if updated.rows_affected() == 0 {
            return Err(error(StatusCode::NOT_FOUND, "TRADER_NOT_FOUND", "no trader with this login"));
        }
        sqlx::query("INSERT INTO sim_trader_updates (login, field, value, created_at) VALUES (?, 'accessRights', ?, ?)")
            .bind(login)
            .bind(&rights)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(axum::Json(serde_json::json!({ "login": login, "accessRights": rights })).into_response())
    }
    .await;
    answer
}

/// The balance change itself, in one transaction.
async fn apply_change(s: &SimState, login: i64, sign: i64, amount: Decimal, req: &ChangeBalance) -> Result<Response, Response> {
    let mut tx = crate::store::sqlite::write_tx(&s.pool).await.map_err(internal)?;
    let row = sqlx::query("SELECT balance, money_digits FROM sim_traders WHERE login = ?")
        .bind(login)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "TRADER_NOT_FOUND", "no trader with this login"))?;
    let balance: i64 = row.try_get("balance").map_err(internal)?;
    let digits: i64 = row.try_get("money_digits").map_err(internal)?;
    let minor = to_minor(amount, digits as u32)
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "INVALID_AMOUNT", "amount must be positive with at most moneyDigits decimals"))?;
    let after = balance
        .checked_add(sign * minor)
        .filter(|b| *b >= 0)
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "NOT_ENOUGH_MONEY", "balance would go below zero"))?;
    sqlx::query("UPDATE sim_traders SET balance = ? WHERE login = ?").bind(after).bind(login).execute(&mut *tx).await.map_err(internal)?;
    let id: i64 = sqlx::query(
        "INSERT INTO sim_balance_history (login, type, amount, balance_after, external_id, external_note, comment, source, created_at) \
         VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
    )
    .bind(login)
    .bind(&req.kind)
    .bind(minor)
    .bind(after)
    .bind(&req.external_id)
    .bind(&req.external_note)
    .bind(&req.comment)
    .bind(&req.source)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .and_then(|r| r.try_get(0))
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok::<_, Response>(axum::Json(serde_json::json!({ "balanceHistoryId": id })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_are_exact() {
        assert_eq!(to_minor(Decimal::from_str("250.00").unwrap(), 2), Some(25000));
        assert_eq!(to_minor(Decimal::from_str("0.01").unwrap(), 2), Some(1));
        assert_eq!(to_minor(Decimal::from_str("10.005").unwrap(), 2), None);
        assert_eq!(to_minor(Decimal::from_str("-1").unwrap(), 2), None);
        assert_eq!(to_minor(Decimal::from_str("0").unwrap(), 2), None);
        assert_eq!(to_minor(Decimal::from_str("7").unwrap(), 0), Some(7));
        assert_eq!(to_minor(Decimal::MAX, 8), None, "too large to count in minor units, not a panic");
    }
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    token: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /v2/webserv/traders/{login}/balanceHistory?from=&to=` (Unix ms).
pub async fn balance_history(State(s): State<SimState>, Path(login): Path<String>, Query(q): Query<HistoryQuery>) -> Reply {
    authorize(&s, q.token.as_deref()).await?;
    let (login, trader) = find_trader(&s, &login).await?;
    let digits = trader.try_get::<i64, _>("money_digits").unwrap_or(2) as u32;
    let rows = sqlx::query("SELECT * FROM sim_balance_history WHERE login = ? AND created_at >= ? AND created_at <= ? ORDER BY id")
        .bind(login)
        .bind(q.from.unwrap_or(0))
        .bind(q.to.unwrap_or(i64::MAX))
        .fetch_all(&s.pool)
        .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return Err(internal(e)),
    };
    let entries: Vec<_> = rows
        .iter()
        .map(|h| {
            serde_json::json!({
                "balanceHistoryId": h.try_get::<i64, _>("id").unwrap_or_default(),
                "type": h.try_get::<String, _>("type").unwrap_or_default(),
                "preciseAmount": Decimal::new(h.try_get("amount").unwrap_or_default(), digits).to_string(),
                "externalId": h.try_get::<Option<String>, _>("external_id").unwrap_or_default(),
                "changeTimestamp": h.try_get::<i64, _>("created_at").unwrap_or_default(),
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "balanceHistory": entries })).into_response())
}
