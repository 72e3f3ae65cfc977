use std::time::Duration;

use md5::{Digest, Md5};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::types::OtAnswer;
use super::{BalanceChange, CtraderError, OtIdentity, Trader};
use crate::config::TokenContract;
use crate::domain::Login;

/// One client per process, shared. The manager token is cached here: it is a
/// credential each instance can obtain for itself, not shared state.
pub struct CtraderClient {
    http: reqwest::Client,
    base: String,
    manager_login: u64,
    hashed_password: String,
    contract: TokenContract,
    manager_token: Mutex<Option<String>>,
    /// Traders as screens show them, kept `shown_fresh` (see `shown`).
    shown: super::shown::Shown,
}

impl CtraderClient {
    pub fn new(base: &str, manager_login: u64, manager_password: &str, contract: TokenContract, timeout: Duration, shown_fresh: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("broker-inapp/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("static reqwest configuration is valid");
        CtraderClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            manager_login,
            hashed_password: hex::encode(Md5::digest(manager_password.as_bytes())),
            contract,
            manager_token: Mutex::new(None),
            shown: super::shown::Shown::new(shown_fresh, timeout * 3),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Resolves a one-time token to the trader it was issued for. Exactly one
    /// call to cTrader (plus a manager sign-in when none is cached).
    pub async fn resolve_ot(&self, ot: &str) -> Result<OtIdentity, CtraderError> {
        let res = match self.contract {
            TokenContract::Get => {
                self.authed("resolve_token", |http, base, token| {
                    http.get(format!("{base}/ctid2/inAppOneTimeToken/data")).query(&[("token", token), ("inAppOneTimeToken", ot)])
                })
                .await?
            }
            TokenContract::Redeem => {
                self.authed("redeem_token", |http, base, token| {
                    http.post(format!("{base}/ctid2/inAppToken/redeem")).query(&[("token", token)]).json(&serde_json::json!({ "token": ot }))
                })
                .await?
            }
        };
        let answer: OtAnswer = read_json(res).await?;
        answer.into_identity().ok_or(CtraderError::NoUser)
    }

    /// The trader as cTrader has it now: for decisions about money.
    pub async fn trader(&self, login: Login) -> Result<Trader, CtraderError> {
        let res = self.authed("trader", |http, base, token| http.get(format!("{base}/v2/webserv/traders/{login}")).query(&[("token", token)])).await?;
        read_json(res).await
    }

    /// The trader to show on a screen: at most `ctrader.shown_fresh_ms` old,
    /// and read again after a balance change this instance sent.
    pub async fn trader_shown(&self, login: Login) -> Result<Trader, CtraderError> {
        self.shown.get(login, self.trader(login)).await
    }

    /// Applies a balance change and returns cTrader's `balanceHistoryId`.
    /// `Unavailable` means the outcome is unknown: look `external_id` up in the
    /// balance history before trying again.
    pub async fn change_balance(&self, change: &BalanceChange) -> Result<i64, CtraderError> {
        // Whatever the outcome, the balance shown may change: forgotten
        // before (the caller may drop this call at its deadline) and after
        // (a screen may have read the old balance meanwhile).
        self.shown.forget(change.login).await;
        let changed = self.send_balance_change(change).await;
        self.shown.forget(change.login).await;
        changed
    }

    async fn send_balance_change(&self, change: &BalanceChange) -> Result<i64, CtraderError> {
        let body = balance_change_body(change)?;
        let login = change.login;
        let res = self
            .authed("change_balance", |http, base, token| {
                http.post(format!("{base}/v2/webserv/traders/{login}/changebalance"))
                    .query(&[("token", token)])
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            balance_history_id: i64,
        }
        let answer: Answer = read_json(res).await?;
        Ok(answer.balance_history_id)
    }

    /// Sets the trader's `accessRights` (how a KYC decision reaches the
    /// platform). Setting a value is idempotent, so a retry after an unknown
    /// outcome is safe.
    pub async fn set_access_rights(&self, login: Login, access_rights: &str) -> Result<(), CtraderError> {
        let body = serde_json::json!({ "accessRights": access_rights }).to_string();
        let res = self
            .authed("access_rights", |http, base, token| {
                http.patch(format!("{base}/v2/webserv/traders/{login}"))
                    .query(&[("token", token)])
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        let _: serde_json::Value = read_json(res).await?;
        Ok(())
    }

    /// The `balanceHistoryId` of the change carrying `external_id`, if cTrader has
    /// one between `from_ms` and `to_ms`: how an unknown outcome is settled
    /// before any retry.
    pub async fn find_balance_change(&self, login: Login, external_id: &str, from_ms: i64, to_ms: i64) -> Result<Option<i64>, CtraderError> {
        Ok(self.balance_changes_for(login, external_id, from_ms, to_ms).await?.first().copied())
    }

    /// Every `balanceHistoryId` in the trader's history carrying `external_id`
    /// (more than one means the same deposit was applied twice).
    pub async fn balance_changes_for(&self, login: Login, external_id: &str, from_ms: i64, to_ms: i64) -> Result<Vec<i64>, CtraderError> {
        let (from, to) = (from_ms.to_string(), to_ms.to_string());
        let res = self
            .authed("balance_history", |http, base, token| {
                http.get(format!("{base}/v2/webserv/traders/{login}/balanceHistory")).query(&[("token", token), ("from", from.as_str()), ("to", to.as_str())])
            })
            .await?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry {
            balance_history_id: i64,
            external_id: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            balance_history: Vec<Entry>,
        }
        let answer: Answer = read_json(res).await?;
        Ok(answer.balance_history.into_iter().filter(|e| e.external_id.as_deref() == Some(external_id)).map(|e| e.balance_history_id).collect())
    }

    async fn manager_token(&self, refresh: bool) -> Result<String, CtraderError> {
        let mut cached = self.manager_token.lock().await;
        if let (false, Some(token)) = (refresh, cached.as_ref()) {
            return Ok(token.clone());
        }
        let res = self
            .http
            .post(format!("{}/v2/webserv/managers/token", self.base))
            .json(&serde_json::json!({ "login": self.manager_login, "hashedPassword": self.hashed_password }))
            .send()
            .await
            .map_err(CtraderError::from_reqwest)?;
        if matches!(res.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(CtraderError::Unauthorized);
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            webserv_token: String,
        }
        let answer: Answer = read_json(res).await?;
        *cached = Some(answer.webserv_token.clone());
        Ok(answer.webserv_token)
    }

    /// Sends a request carrying the manager token; when cTrader says the token
    /// is no longer good, signs in again and retries once. Counted and timed
    /// by `endpoint` (`inapp_ctrader_requests_total`, `…_duration_seconds`);
    /// a call dropped by its caller's deadline is counted by the caller's
    /// outcome instead (the ledger's `retry`).
    async fn authed<F>(&self, endpoint: &'static str, build: F) -> Result<Response, CtraderError>
    where
        F: Fn(&reqwest::Client, &str, &str) -> RequestBuilder,
    {
        let started = std::time::Instant::now();
        let res = self.authed_once(build).await;
        let outcome = match &res {
            Ok(r) if r.status().is_success() => "ok",
            Ok(r) if r.status().is_client_error() => "4xx",
            Ok(_) => "5xx",
            Err(CtraderError::Unauthorized) => "unauthorized",
            Err(_) => "unreachable",
        };
        metrics::counter!("inapp_ctrader_requests_total", "endpoint" => endpoint, "outcome" => outcome).increment(1);
        metrics::histogram!("inapp_ctrader_request_duration_seconds", "endpoint" => endpoint).record(started.elapsed().as_secs_f64());
        res
    }

    async fn authed_once<F>(&self, build: F) -> Result<Response, CtraderError>
    where
        F: Fn(&reqwest::Client, &str, &str) -> RequestBuilder,
    {
        for attempt in 0..2 {
            let token = self.manager_token(attempt > 0).await?;
            let res = build(&self.http, &self.base, &token).send().await.map_err(CtraderError::from_reqwest)?;
            if matches!(res.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                continue;
            }
            return Ok(res);
        }
        Err(CtraderError::Unauthorized)
    }
}

/// The balance change body with `preciseAmount` written as an exact JSON
/// number from the decimal's digits (no float on the way).
fn balance_change_body(c: &BalanceChange) -> Result<String, CtraderError> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        login: Login,
        precise_amount: &'a serde_json::value::RawValue,
        #[serde(rename = "type")]
        kind: super::BalanceChangeType,
        #[serde(skip_serializing_if = "Option::is_none")]
        comment: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        external_note: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        external_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<&'a str>,
    }
    let amount = serde_json::value::RawValue::from_string(c.amount.normalize().to_string()).map_err(|e| CtraderError::Protocol(e.to_string()))?;
    serde_json::to_string(&Body {
        login: c.login,
        precise_amount: &amount,
        kind: c.kind,
        comment: c.comment.as_deref(),
        external_note: c.external_note.as_deref(),
        external_id: c.external_id.as_deref(),
        source: c.source.as_deref(),
    })
    .map_err(|e| CtraderError::Protocol(e.to_string()))
}

async fn read_json<T: serde::de::DeserializeOwned>(res: Response) -> Result<T, CtraderError> {
    let status = res.status();
    match status.as_u16() {
        200..=299 => {
            let bytes = res.bytes().await.map_err(CtraderError::from_reqwest)?;
            serde_json::from_slice(&bytes).map_err(|e| CtraderError::Protocol(e.to_string()))
        }
        404 | 417 => Err(CtraderError::NotFound),
        410 => Err(CtraderError::Gone),
        401 | 403 => Err(CtraderError::Unauthorized),
        // Timeouts, "too early" and rate limits are about now, not about the request.
        408 | 425 | 429 | 500..=599 => Err(CtraderError::Unavailable(format!("status {status}"))),
        _ => {
            let text = res.text().await.unwrap_or_default();
            Err(CtraderError::Rejected { status: status.as_u16(), detail: text.chars().take(200).collect() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctrader::BalanceChangeType;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn amount_is_an_exact_json_number() {
        let body = balance_change_body(&BalanceChange {
            login: Login::new(100001).unwrap(),
            amount: Decimal::from_str("250.10").unwrap(),
            kind: BalanceChangeType::Deposit,
            comment: None,
            external_note: None,
            external_id: Some("dep_1".into()),
            source: None,
        })
        .unwrap();
        assert!(body.contains(r#""preciseAmount":250.1"#), "{body}");
        assert!(body.contains(r#""type":"DEPOSIT""#), "{body}");
    }
}
