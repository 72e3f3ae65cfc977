//! The cTrader simulator: cTrader's Manager API and InApp token contract served for real (manager
//! tokens, one-time tokens that expire and are single-use, traders, balances
//! and a balance history, faults on demand) plus a control API for `make run`,
//! tests and QA suites. It keeps its state in its own SQLite file, so it
//! survives restarts like the platform it stands in for.

// Handlers answer a ready response as their error (`Result<_, Response>`):
// the simulator is a small, test-facing surface where that is the clearest.
#![allow(clippy::result_large_err)]

mod contract;
mod control;
mod faults;
mod json;
mod launcher;
mod sso;
mod state;

pub use state::SimState;

use axum::routing::{get, patch, post};
use axum::Router;

/// Every simulator route, to be nested under `/sim`.
pub fn router<S: Clone + Send + Sync + 'static>(state: SimState) -> Router<S> {
    // Each contract route names its endpoint for fault injection and counts.
    let on = |endpoint, route| faults::on(&state, endpoint, route);
    Router::new()
        // the cTrader contract
        .route("/v2/webserv/managers/token", on("managerToken", post(contract::manager_token)))
        .route("/ctid2/inAppOneTimeToken/data", on("resolve", get(contract::ot_data)))
        .route("/ctid2/inAppToken/redeem", on("resolve", post(contract::ot_redeem)))
        .route("/v2/webserv/traders/{login}", on("trader", get(contract::trader)).merge(on("updateTrader", patch(contract::update_trader))))
        .route("/v2/webserv/traders/{login}/changebalance", on("changeBalance", post(contract::change_balance)))
        .route("/v2/webserv/traders/{login}/balanceHistory", on("balanceHistory", get(contract::balance_history)))
        // the control API
        .route("/tokens", post(control::mint_token))
        .route("/traders/{login}", get(control::trader_state))
        .route("/stats", get(control::stats).delete(control::reset_stats))
        .route("/faults", get(control::list_faults).post(control::set_fault).delete(control::clear_faults))
        .route("/faults/form", post(control::set_fault_form))
        .route("/faults/clear", post(control::clear_faults_form))
        .route("/sso/first-login", post(sso::first_login))
        .route("/sso/relogin", post(sso::relogin))
        .route("/launch", get(launcher::launch))
        .route("/", get(launcher::index))
        .with_state(state)
}
