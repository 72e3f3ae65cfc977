//! Deposit limits by verification level. A trader's level is the KYC type of
//! their approved case, or [`UNVERIFIED`] without one; each level may cap
//! one deposit, what is deposited in any 30 days, and in all. The arithmetic
//! lives here, shared by the server (which enforces it) and the browser
//! (which says it before anything is sent), so both give the same answer.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The level of a trader without an approved KYC case.
pub const UNVERIFIED: &str = "unverified";

/// The window of the rolling limit: 30 days, in milliseconds.
pub const WINDOW_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// One level's caps in one currency; `None` is no cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelLimits {
    pub per_deposit: Option<Decimal>,
    pub per_30_days: Option<Decimal>,
    pub lifetime: Option<Decimal>,
}

/// What a trader has deposited: every deposit that is not failed, cancelled
/// or expired, the amount received once known (fees left out). A deposit
/// still waiting for its payment counts: two open at once cannot together
/// pass a cap each passes alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub last_30_days: Decimal,
    pub lifetime: Decimal,
}

impl LevelLimits {
    /// The most one deposit may be now; `None` when nothing caps it.
    pub fn room(&self, used: &Usage) -> Option<Decimal> {
        let left = |cap: Option<Decimal>, used: Decimal| cap.map(|c| (c - used).max(Decimal::ZERO));
        [self.per_deposit, left(self.per_30_days, used.last_30_days), left(self.lifetime, used.lifetime)].into_iter().flatten().min()
    }

    /// Whether `amount` fits in [`LevelLimits::room`].
    pub fn allows(&self, amount: Decimal, used: &Usage) -> bool {
        self.room(used).is_none_or(|room| amount <= room)
    }
}

/// A level the trader can reach by completing KYC of that type, and what
/// one deposit may then be (`None`: no cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    pub kyc_type: String,
    pub room: Option<Decimal>,
}

/// The trader's level as the deposit screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelView {
    /// `unverified`, or the approved case's KYC type.
    pub level: String,
    pub limits: LevelLimits,
    pub used: Usage,
    /// The levels a KYC case could reach from here, asking least first.
    pub upgrades: Vec<Upgrade>,
    /// A case is waiting for review: a higher level comes with its approval.
    pub pending: bool,
    /// The account currency's decimal places (for showing amounts).
    pub digits: u32,
}

impl LevelView {
    pub fn room(&self) -> Option<Decimal> {
        self.limits.room(&self.used)
    }

    /// Why `amount` cannot be deposited at this level, if it cannot.
    pub fn refuses(&self, amount: Decimal) -> Option<LevelRefusal> {
        let room = self.room().filter(|room| amount > *room)?;
        let upgrade = self.upgrades.iter().find(|u| u.room.is_none_or(|r| amount <= r)).map(|u| u.kyc_type.clone());
        Some(LevelRefusal { room, upgrade, pending: self.pending, digits: self.digits })
    }
}

/// A deposit above the level's room: how much is left, and the KYC type
/// that would allow it (the one asking least), if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRefusal {
    pub room: Decimal,
    pub upgrade: Option<String>,
    pub pending: bool,
    pub digits: u32,
}

/// A screen that can send the trader into KYC and be returned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackTo {
    Deposit,
    Withdrawal,
}

impl BackTo {
    pub fn as_str(self) -> &'static str {
        match self {
            BackTo::Deposit => "deposit",
            BackTo::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(raw: &str) -> Option<BackTo> {
        [BackTo::Deposit, BackTo::Withdrawal].into_iter().find(|b| b.as_str() == raw)
    }

    /// The screen's address.
    pub fn path(self) -> &'static str {
        match self {
            BackTo::Deposit => "/inapp/deposit",
            BackTo::Withdrawal => "/inapp/action?actionType=withdraw",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn limits(per: Option<Decimal>, window: Option<Decimal>, life: Option<Decimal>) -> LevelLimits {
        LevelLimits { per_deposit: per, per_30_days: window, lifetime: life }
    }

    fn used(window: Decimal, life: Decimal) -> Usage {
        Usage { last_30_days: window, lifetime: life }
    }

    #[test]
    fn the_room_is_the_tightest_of_the_three_caps() {
        let l = limits(Some(d("2000")), Some(d("5000")), Some(d("10000")));
        assert_eq!(l.room(&used(d("0"), d("0"))), Some(d("2000")), "per deposit");
        assert_eq!(l.room(&used(d("3500.50"), d("3500.50"))), Some(d("1499.50")), "the 30 days");
        assert_eq!(l.room(&used(d("100"), d("9000"))), Some(d("1000")), "lifetime, the month nearly empty");
        assert_eq!(l.room(&used(d("6000"), d("6000"))), Some(d("0")), "over a cap (lowered since) is no room, not less");
        assert!(l.allows(d("1000"), &used(d("100"), d("9000"))));
        assert!(!l.allows(d("1000.01"), &used(d("100"), d("9000"))));
    }

    #[test]
    fn no_cap_is_no_limit_and_each_cap_stands_alone() {
        assert_eq!(LevelLimits::default().room(&used(d("1000000000"), d("1000000000"))), None);
        assert!(LevelLimits::default().allows(d("1000000000000"), &Usage::default()));
        assert_eq!(limits(None, Some(d("500")), None).room(&used(d("200"), d("99999"))), Some(d("300")));
        assert_eq!(limits(None, None, Some(d("500"))).room(&used(d("0"), d("450"))), Some(d("50")));
    }

    #[test]
    fn a_refusal_names_the_first_level_that_allows_the_amount() {
        let view = LevelView {
            level: UNVERIFIED.into(),
            limits: limits(Some(d("1000")), None, None),
            used: Usage::default(),
            upgrades: vec![Upgrade { kyc_type: "standard".into(), room: Some(d("20000")) }, Upgrade { kyc_type: "enhanced".into(), room: None }],
            pending: false,
            digits: 2,
        };
        assert_eq!(view.refuses(d("1000")), None);
        assert_eq!(view.refuses(d("5000")), Some(LevelRefusal { room: d("1000"), upgrade: Some("standard".into()), pending: false, digits: 2 }));
        assert_eq!(view.refuses(d("50000")).unwrap().upgrade.as_deref(), Some("enhanced"));
        let top = LevelView { upgrades: vec![], ..view };
        assert_eq!(top.refuses(d("5000")).unwrap().upgrade, None, "nowhere higher to go");
    }
}
