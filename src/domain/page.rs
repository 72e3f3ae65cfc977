use crate::domain::Login;
use serde::{Deserialize, Serialize};

use super::{Lang, Source, Theme};

/// The identified trader, as shown in the app shell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraderView {
    /// Display name from cTrader; `None` when the trader read failed.
    pub name: Option<String>,
    pub login: Login,
    pub user_id: i64,
    pub trader_id: Option<i64>,
    pub account_id: Option<i64>,
    pub currency: Option<String>,
    /// The account this browser was in before a link for this one replaced
    /// it: the first page after the switch says so.
    #[serde(default)]
    pub switched_from: Option<Login>,
}

/// Everything a screen needs to render its frame. The server computes it from the
/// session and the query, embeds it in the page, and the browser hydrates from
/// the same value, so both sides render the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageContext {
    pub lang: Lang,
    pub theme: Theme,
    pub source: Source,
    pub broker_name: String,
    pub legal_entity: String,
    pub logo_url: String,
    /// The theme's footer for this language, if it has one.
    pub footer: Option<String>,
    pub close_url: String,
    /// True when the built-in cTrader simulator stands in for the platform.
    pub simulator: bool,
    pub trader: Option<TraderView>,
    /// The origins a screen posts its completion notices to when framed
    /// (`notify.parent_origins`; `domain::notify`).
    #[serde(default)]
    pub parent_origins: Vec<String>,
}
