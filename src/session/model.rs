use crate::domain::Login;
use crate::domain::{query_values, Lang, Source, Theme};

/// Who the session belongs to, as cTrader told us when the token was redeemed.
#[derive(Debug, Clone, PartialEq)]
pub struct TraderIdentity {
    pub user_id: i64,
    pub trader_id: Option<i64>,
    pub account_id: Option<i64>,
    pub login: Login,
    pub name: Option<String>,
    pub currency: Option<String>,
    pub broker_name: Option<String>,
}

/// The display choices the platform sends (`lang`, `theme`, `source`),
/// remembered in the session so later requests without them keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prefs {
    pub lang: Lang,
    pub theme: Theme,
    pub source: Source,
}

impl Prefs {
    /// The first valid value of each parameter in the query wins; missing or
    /// garbage values keep `base`.
    pub fn from_query(raw_query: &str, base: Prefs) -> Prefs {
        fn first<T>(raw: &str, name: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
            query_values(raw, name).iter().find_map(|v| parse(v))
        }
        Prefs {
            lang: first(raw_query, "lang", Lang::parse).unwrap_or(base.lang),
            theme: first(raw_query, "theme", Theme::parse).unwrap_or(base.theme),
            source: first(raw_query, "source", Source::parse).unwrap_or(base.source),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id_hash: String,
    pub trader: TraderIdentity,
    pub prefs: Prefs,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The account of the session this one replaced, until a page has said so.
    pub switched_from: Option<Login>,
    /// The configured kycType the opening link named: the only one the
    /// trader's requests can ask for (see `kyc::service::kyc_type`).
    pub kyc_type: Option<String>,
    /// The screen that sent the trader into KYC, which its screens lead back to.
    pub kyc_back: Option<crate::domain::limits::BackTo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_overrides_only_valid_values() {
        let base = Prefs { lang: Lang::De, theme: Theme::Dark, source: Source::Ios };
        let p = Prefs::from_query("lang=xx&lang=es&theme=purple&utm_source=a", base);
        assert_eq!(p, Prefs { lang: Lang::Es, theme: Theme::Dark, source: Source::Ios });
        assert_eq!(Prefs::from_query("", Prefs::default()), Prefs::default());
    }
}
