//! Full SSO access tokens, for admins: who holds one, when it was last used,
//! and a Revoke button (the next automatic re-login, 4.3, is refused).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use leptos::prelude::*;

use super::auth::Role;
use super::pages::{internal, no_store, page, staff_with, ListTable, Shell};
use crate::domain::{format_timestamp, ErrorCode};
use crate::i18n::t;
use crate::render::{document, error_page};
use crate::state::AppState;
use crate::store::StaffRecord;

async fn admin(state: &AppState, headers: &HeaderMap) -> Result<StaffRecord, Response> {
    staff_with(state, headers, &[Role::Admin]).await
}

pub async fn tokens(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if let Err(r) = admin(&state, &headers).await {
        return r;
    }
    let ctx = page(&state, &q);
    let rows = match state.store.sso.access_tokens(200).await {
        Ok(r) => r,
        Err(e) => return internal(&state, &ctx, e),
    };
    let lang = ctx.lang;
    let title = t(lang, "backoffice.sso_title");
    let html = document(&ctx, &state.css_href(), title.clone(), move || {
        view! {
            <Shell title=title.clone()>
                <ListTable is_empty=rows.is_empty() label=t(lang, "backoffice.sso_title") empty=t(lang, "backoffice.sso_none") headers=vec![t(lang, "backoffice.email"), t(lang, "backoffice.col_login"), t(lang, "backoffice.sso_created"), t(lang, "backoffice.sso_last_used"), t(lang, "backoffice.col_state"), t(lang, "backoffice.col_actions")]>
                    {rows.into_iter().map(|r| {
                        let revoked = r.revoked_at.is_some();
                        let state_text = match &r.revoked_by {
                            Some(by) => format!("{} ({by})", t(lang, "backoffice.sso_revoked")),
                            None if revoked => t(lang, "backoffice.sso_revoked"),
                            None => t(lang, "backoffice.sso_active"),
                        };
                        view! {
                            <tr class="border-t border-border" data-testid="sso-token" data-user=r.user_id.to_string()
                                data-state=if revoked { "revoked" } else { "active" }>
                                <td class="p-2">{r.email.clone()}</td>
                                <td class="p-2">{r.login}</td>
                                <td class="p-2">{format_timestamp(r.created_at)}</td>
                                <td class="p-2">{r.last_used_at.map(format_timestamp).unwrap_or_default()}</td>
                                <td class="p-2">{state_text}</td>
                                <td class="p-2">
                                    {(!revoked).then(|| view! {
                                        <form method="post" action=format!("/backoffice/sso/tokens/{}/revoke", r.id)>
                                            <button data-testid="sso-revoke" class="rounded-lg border border-border min-h-11 px-3">{t(lang, "backoffice.sso_revoke")}</button>
                                        </form>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </ListTable>
            </Shell>
        }
        .into_any()
    });
    no_store(html)
}

pub async fn revoke(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let staff = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ctx = page(&state, &HashMap::new());
    match state.store.sso.revoke_access_token(&id, &staff.email, crate::time::now_ms()).await {
        Ok(true) => {
            tracing::info!(staff = %staff.email, access_token_id = %id, "access token revoked");
            super::pages::redirect("/backoffice/sso")
        }
        Ok(false) => error_page(&ctx, &state.css_href(), ErrorCode::NotFound),
        Err(e) => internal(&state, &ctx, e),
    }
}
