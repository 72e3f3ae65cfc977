//! Credits cTrader holds twice (found by the crediting worker's audit): shown
//! at the top of the dashboard until an admin says the extra copy is reversed.

use axum::extract::{Path, State};
use axum::response::Response;
use leptos::prelude::*;

use super::pages::{redirect, Pager, Paging};
use crate::domain::DepositId;
use crate::domain::{format_amount, Lang};
use crate::i18n::{t, t_with};
use crate::state::AppState;
use crate::store::DuplicateCredit;
use crate::web::{Admins, PageError, Staff};

/// The alert; nothing at all when there is nothing to reverse. A page of
/// them at a time (`paging`, linked from `href`); the heading says how many
/// there are in all.
pub(super) fn alert(lang: Lang, list: Vec<DuplicateCredit>, paging: Paging, href: String, admin: bool) -> impl IntoView {
    (!list.is_empty()).then(|| {
        let rows = list
            .into_iter()
            .map(|c| {
                let d = c.deposit;
                let amount = format_amount(rust_decimal::Decimal::new(d.confirmed_minor.unwrap_or(d.requested_minor), d.digits), d.digits);
                let mut copies = t_with(lang, "backoffice.duplicate_copies", &[("ids", &c.copies)]);
                // Ours is the one to keep; the admin reverses the other.
                if let Some(ours) = d.balance_history_id {
                    copies = format!("{copies} ({})", t_with(lang, "backoffice.duplicate_ours", &[("id", &ours.to_string())]));
                }
                let resolve = admin.then(|| {
                    view! {
                        <form method="post" action=format!("/backoffice/deposits/{}/duplicate-reversed", d.id)>
                            <button class="rounded-lg border border-border min-h-11 px-3" data-testid="duplicate-reversed">{t(lang, "backoffice.duplicate_reversed")}</button>
                        </form>
                    }
                });
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2" data-testid="duplicate-credit" data-deposit=d.id.to_string()>
                        <span>
                            <span class="font-mono text-xs">{d.id.clone()}</span>" · "{d.login.to_string()}" · "{format!("{amount} {}", d.currency)}" · "{copies}
                        </span>
                        {resolve}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section role="alert" class="space-y-2 rounded-xl border-2 border-danger p-3" data-testid="duplicate-credits">
                <h2 class="text-lg font-semibold">{t(lang, "backoffice.duplicates_title")}" ("{paging.total}")"</h2>
                <p>{t(lang, "backoffice.duplicates_help")}</p>
                <ul class="space-y-2">{rows}</ul>
                <Pager lang paging href/>
            </section>
        }
    })
}

/// An admin has reversed the extra copy in cTrader: the alert goes away.
pub async fn reversed(State(state): State<AppState>, staff: Staff<Admins>, Path(id): Path<String>) -> Result<Response, PageError> {
    let id: DepositId = id.parse().map_err(|_| PageError::NotFound)?;
    if !state.store.deposits.resolve_duplicate(&id).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(deposit = %id, staff = %staff.email, "duplicate credit marked reversed");
    Ok(redirect("/backoffice"))
}
