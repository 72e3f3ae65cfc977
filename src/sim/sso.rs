//! cTrader's part of Full SSO, played by the simulator over real HTTP
//! against the broker's `/oauth2` endpoints, in the order of cTrader's two
//! flows:
//! - `POST /sim/sso/first-login {email, password, screen?}` (Flow 2): the app
//!   shows the broker's sign-in page and gets a code; cTrader takes a CRM API
//!   token (4.1), exchanges the code (4.2), keeps the access token, and asks
//!   for a screen token (4.4).
//! - `POST /sim/sso/relogin {userId, screen?}` (Flow 1): the stored access
//!   token is checked (4.3), then 4.4.
//!
//! Both answer `{userId, screenUrl, calls}`, `calls` listing each request
//! made and its status; a refused step answers 502 with that step's reply.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{error, internal, parse, Reply};
use super::state::{BrokerPeer, SimState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirstLogin {
    email: String,
    password: String,
    screen: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Relogin {
    user_id: i64,
    screen: Option<String>,
}

/// One flow's calls so far, for the answer.
struct Trail {
    calls: Vec<Value>,
}

impl Trail {
    /// A JSON call to the broker; Err is the 502 answer for a refusal.
    async fn call(&mut self, peer: &BrokerPeer, path: &str, crm: Option<&str>, body: Value) -> Result<Value, Response> {
        let mut req = peer.http.post(format!("{}{path}", peer.base_url)).json(&body);
        if let Some(token) = crm {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.map_err(|e| error(StatusCode::BAD_GATEWAY, "BROKER_UNREACHABLE", e.to_string()))?;
        let status = res.status().as_u16();
        self.calls.push(json!({ "call": format!("POST {path}"), "status": status }));
        let reply: Value = res.json().await.unwrap_or(Value::Null);
        if status != 200 {
            return Err(self.refused(path, status, reply));
        }
        Ok(reply)
    }

    fn refused(&self, path: &str, status: u16, reply: Value) -> Response {
        (StatusCode::BAD_GATEWAY, Json(json!({ "step": path, "status": status, "reply": reply, "calls": self.calls }))).into_response()
    }

    fn done(self, user_id: i64, token: &str, screen: Option<String>) -> Response {
        let screen = screen.filter(|s| s.starts_with("/inapp/")).unwrap_or_else(|| "/inapp/deposit".into());
        let sep = if screen.contains('?') { '&' } else { '?' };
        Json(json!({ "userId": user_id, "screenUrl": format!("{screen}{sep}token={token}"), "calls": self.calls })).into_response()
    }
}

fn peer(s: &SimState) -> Result<&BrokerPeer, Response> {
    s.broker.as_ref().ok_or_else(|| error(StatusCode::CONFLICT, "SSO_OFF", "the server is not in full_sso identity mode"))
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(String::from)
}

async fn crm_token(trail: &mut Trail, peer: &BrokerPeer) -> Result<String, Response> {
    let reply = trail.call(peer, "/oauth2/crmApiToken", None, json!({ "password": peer.crm_password })).await?;
    text(&reply, "crmApiToken").ok_or_else(|| error(StatusCode::BAD_GATEWAY, "BAD_REPLY", "no crmApiToken"))
}

async fn remember(s: &SimState, user_id: i64, access: &str, inapp: Option<&str>) -> Result<(), Response> {
    sqlx::query(
        "INSERT INTO sim_sso_logins (user_id, access_token, inapp_token, updated_at) VALUES (?,?,?,?) \
         ON CONFLICT (user_id) DO UPDATE SET access_token = excluded.access_token, inapp_token = excluded.inapp_token, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(access)
    .bind(inapp)
    .bind(crate::time::now_ms())
    .execute(&s.pool)
    .await
    .map(|_| ())
    .map_err(internal)
}

/// The common end of both flows: keep the access token as the app would,
/// then ask for a screen token (4.4).
async fn screen_token(trail: &mut Trail, s: &SimState, peer: &BrokerPeer, crm: &str, auth: &Value, access: &str) -> Result<(i64, String), Response> {
    let user_id = auth.get("userId").and_then(|u| u.as_i64()).ok_or_else(|| error(StatusCode::BAD_GATEWAY, "BAD_REPLY", "no userId"))?;
    let inapp = text(auth, "inappToken");
    remember(s, user_id, access, inapp.as_deref()).await?;
    let generated = trail.call(peer, "/oauth2/onetime/generate", Some(crm), json!({ "userId": user_id, "inappToken": inapp })).await?;
    let token = text(&generated, "token").ok_or_else(|| error(StatusCode::BAD_GATEWAY, "BAD_REPLY", "no token"))?;
    Ok((user_id, token))
}

pub async fn first_login(State(s): State<SimState>, body: Bytes) -> Reply {
    let req: FirstLogin = parse(&body)?;
    let peer = peer(&s)?;
    let mut trail = Trail { calls: vec![] };
    // Stages 1–7: the app shows the broker's sign-in page; the broker answers with a code.
    let signed_in =
        peer.http.post(format!("{}/oauth2/sign-in", peer.base_url)).form(&[("email", req.email.as_str()), ("password", req.password.as_str())]).send().await;
    let signed_in = match signed_in {
        Ok(r) => r,
        Err(e) => return Err(error(StatusCode::BAD_GATEWAY, "BROKER_UNREACHABLE", e.to_string())),
    };
    let status = signed_in.status().as_u16();
    trail.calls.push(json!({ "call": "POST /oauth2/sign-in", "status": status }));
    let code = signed_in
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.to_string()));
    let Some(code) = code else { return Ok(trail.refused("/oauth2/sign-in", status, Value::Null)) };
    let flow = async {
        let crm = crm_token(&mut trail, peer).await?;
        let auth = trail.call(peer, "/oauth2/onetime/authorize", Some(&crm), json!({ "code": code })).await?;
        let access = text(&auth, "accessToken").ok_or_else(|| error(StatusCode::BAD_GATEWAY, "BAD_REPLY", "no accessToken"))?;
        screen_token(&mut trail, &s, peer, &crm, &auth, &access).await
    };
    let (user_id, token) = flow.await?;
    Ok(trail.done(user_id, &token, req.screen))
}

pub async fn relogin(State(s): State<SimState>, body: Bytes) -> Reply {
    let req: Relogin = parse(&body)?;
    let peer = peer(&s)?;
    let stored: Option<(String,)> =
        match sqlx::query_as("SELECT access_token FROM sim_sso_logins WHERE user_id = ?").bind(req.user_id).fetch_optional(&s.pool).await {
            Ok(row) => row,
            Err(e) => return Err(internal(e)),
        };
    let Some((access,)) = stored else {
        return Err(error(StatusCode::NOT_FOUND, "NO_STORED_LOGIN", "this user has no stored accessToken: do a first login"));
    };
    let mut trail = Trail { calls: vec![] };
    let flow = async {
        let crm = crm_token(&mut trail, peer).await?;
        let auth = trail.call(peer, "/oauth2/authorize", Some(&crm), json!({ "accessToken": access })).await?;
        screen_token(&mut trail, &s, peer, &crm, &auth, &access).await
    };
    let (user_id, token) = flow.await?;
    Ok(trail.done(user_id, &token, req.screen))
}
