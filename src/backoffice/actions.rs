//! Submissions of the broker's form actions ("Requests"), newest first, for
//! support staff and admins.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::response::Response;
use leptos::prelude::*;

use super::pages::{no_store, page, ListTable, Shell};
use crate::domain::format_timestamp;
use crate::i18n::t;
use crate::render::document;
use crate::state::AppState;
use crate::web::{Agents, PageError, Staff};

pub async fn list(State(state): State<AppState>, _: Staff<Agents>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let rows = state.store.actions.submissions(200).await?;
    let lang = ctx.lang;
    let title = t(lang, "backoffice.requests_title");
    let titles: BTreeMap<String, String> = state
        .settings
        .actions
        .types
        .iter()
        .map(|(k, a)| (k.clone(), a.title.get(lang.code()).or_else(|| a.title.get("en")).cloned().unwrap_or_else(|| k.clone())))
        .collect();
    let html = document(&ctx, &state.css_href(), title.clone(), move || {
        view! {
            <Shell title=title.clone()>
                <ListTable is_empty=rows.is_empty() label=t(lang, "backoffice.requests_title") empty=t(lang, "backoffice.requests_none") headers=vec![t(lang, "backoffice.col_when"), t(lang, "backoffice.col_type"), t(lang, "backoffice.col_login"), t(lang, "backoffice.requests_fields")]>
                    {rows.into_iter().map(|r| {
                        let fields: BTreeMap<String, String> = serde_json::from_str(&r.fields).unwrap_or_default();
                        let kind = titles.get(&r.action_type).cloned().unwrap_or_else(|| r.action_type.clone());
                        view! {
                            <tr class="border-t border-border align-top" data-testid="bo-request" data-type=r.action_type.clone() data-login=r.login.to_string()>
                                <td class="p-2 whitespace-nowrap">{format_timestamp(r.created_at)}</td>
                                <td class="p-2">{kind}<br/><span class="text-muted text-xs">{r.id.clone()}</span></td>
                                <td class="p-2">{r.login.to_string()}</td>
                                <td class="p-2">
                                    <dl class="grid grid-cols-[auto_1fr] gap-x-3">
                                        {fields.into_iter().map(|(k, v)| view! {
                                            <dt class="text-muted">{k}</dt><dd class="whitespace-pre-wrap break-words">{v}</dd>
                                        }).collect_view()}
                                    </dl>
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
