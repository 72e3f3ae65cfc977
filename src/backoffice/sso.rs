//! Full SSO access tokens, for admins: who holds one, when it was last used,
//! and a Revoke button (the next automatic re-login, 4.3, is refused).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use leptos::prelude::*;

use super::pages::{no_store, page, ListTable, Shell};
use crate::domain::format_timestamp;
use crate::i18n::t;
use crate::render::document;
use crate::state::AppState;
use crate::web::{Admins, PageError, Staff};

pub async fn tokens(State(state): State<AppState>, _: Staff<Admins>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let rows = state.store.sso.access_tokens(200).await?;
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
    Ok(no_store(html))
}

pub async fn revoke(State(state): State<AppState>, staff: Staff<Admins>, Path(id): Path<String>) -> Result<Response, PageError> {
    if !state.store.sso.revoke_access_token(&id, &staff.email, state.clock.now_ms()).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(staff = %staff.email, access_token_id = %id, "access token revoked");
    Ok(super::pages::redirect("/backoffice/sso"))
}
