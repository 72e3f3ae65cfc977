//! Identifiers that arrive from outside (cTrader, a PSP, a URL, the broker's
//! configuration, the database) parsed once into types, so a function that
//! takes a `Login` never wonders whether it got a trader id, and a deposit id
//! or a currency that reaches a query is known to have the right shape. Each
//! refuses a malformed value when it is deserialized or decoded from a row.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A cTrader trading account's login: a positive number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Login(i64);

impl Login {
    pub const fn new(n: i64) -> Option<Login> {
        if n > 0 {
            Some(Login(n))
        } else {
            None
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Login {
    type Error = IdError;
    fn try_from(n: i64) -> Result<Login, IdError> {
        Login::new(n).ok_or(IdError("a login is a positive number"))
    }
}

impl From<Login> for i64 {
    fn from(l: Login) -> i64 {
        l.0
    }
}

/// A login in a view is its digits.
impl leptos::prelude::IntoRender for Login {
    type Output = String;
    fn into_render(self) -> String {
        self.0.to_string()
    }
}

impl FromStr for Login {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Login, IdError> {
        // Digits only: no sign, no spaces, no leading `+`.
        if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError("a login is a positive number"));
        }
        s.parse::<i64>().map_err(|_| IdError("a login is a positive number"))?.try_into()
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Our own random ids: a prefix and 32 lowercase hexadecimal digits. They go
/// to partners (a PSP's reference, cTrader's `externalId`) and into URLs, so
/// each is checked wherever it comes back from.
macro_rules! prefixed_id {
    ($($(#[$doc:meta])* $t:ident = $prefix:literal, $what:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $t(String);

        impl $t {
            const PREFIX: &'static str = $prefix;

            /// A new random id.
            #[cfg(feature = "ssr")]
            pub fn generate() -> $t {
                $t(format!("{}{}", Self::PREFIX, uuid::Uuid::new_v4().simple()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $t {
            type Err = IdError;
            fn from_str(s: &str) -> Result<$t, IdError> {
                let hex = s.strip_prefix(Self::PREFIX).ok_or(IdError($what))?;
                if hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    Ok($t(s.to_string()))
                } else {
                    Err(IdError($what))
                }
            }
        }
    )*};
}

prefixed_id! {
    /// One of our deposits: `dep_` and 32 hex digits; the PSP's reference,
    /// cTrader's `externalId` of its credit and part of the success URL.
    DepositId = "dep_", "not a deposit id";
    /// One of our withdrawals: `wd_` and 32 hex digits; cTrader's
    /// `externalId` of its debit.
    WithdrawalId = "wd_", "not a withdrawal id";
}

/// An ISO 4217 currency code: three capital letters (`USD`, `EUR`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Currency {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Currency, IdError> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(s.to_string()))
        } else {
            Err(IdError("a currency is three capital letters (ISO 4217)"))
        }
    }
}

/// The text-backed identifiers: parsed from `String` and shown as themselves.
macro_rules! text_id {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<$t, IdError> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Read as text wherever text is wanted (a URL, a log line, cTrader's
        /// `externalId`); there is no way to change it.
        impl std::ops::Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl leptos::prelude::IntoRender for $t {
            type Output = String;
            fn into_render(self) -> String {
                self.0
            }
        }

        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }


    )*};
}

text_id!(DepositId, WithdrawalId, Currency);

/// Stored as their inner value's column type, and parsed again when read:
/// a row holding a malformed id is a storage error, never a guess.
macro_rules! stored_as {
    ($($t:ty => $inner:ty),*) => {$(
        #[cfg(feature = "ssr")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $t
        where
            $inner: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$inner as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$inner as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $t
        where
            $inner: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<$t, sqlx::error::BoxDynError> {
                Ok(<$t>::try_from(<$inner as sqlx::Decode<DB>>::decode(value)?)?)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $t
        where
            $inner: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <$inner as sqlx::Encode<DB>>::encode_by_ref(&self.0, buf)
            }
        }
    )*};
}

stored_as!(Login => i64, DepositId => String, WithdrawalId => String, Currency => String);

/// An enum stored as its text name (`as_str`), read back by name among
/// `ALL`: the same column type (TEXT) and values on every backend, and a row
/// holding a name this code does not know is a storage error, never a guess.
macro_rules! stored_as_text {
    ($($t:ty),*) => {$(
        #[cfg(feature = "ssr")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $t
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $t
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<$t, sqlx::error::BoxDynError> {
                let name = <String as sqlx::Decode<DB>>::decode(value)?;
                <$t>::ALL.into_iter().find(|v| v.as_str() == name).ok_or_else(|| format!("unknown {} `{name}`", stringify!($t)).into())
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $t
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }
    )*};
}
pub(crate) use stored_as_text;

/// Why a value is not the identifier it claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdError(&'static str);

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for IdError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_a_positive_number_written_in_digits() {
        assert_eq!("100002".parse::<Login>().map(Login::get), Ok(100002));
        for bad in ["", "0", "-5", "+5", " 5", "5 ", "1e3", "12345678901234567890", "abc"] {
            assert!(bad.parse::<Login>().is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Login>("0").is_err());
        assert_eq!(serde_json::to_string(&Login::new(7).unwrap()).unwrap(), "7");
    }

    #[test]
    fn a_deposit_id_has_its_exact_shape() {
        let ok = "dep_0123456789abcdef0123456789abcdef";
        assert_eq!(ok.parse::<DepositId>().unwrap().as_str(), ok);
        for bad in [
            "",
            "dep_",
            "0123456789abcdef0123456789abcdef",
            "dep_0123456789ABCDEF0123456789abcdef",
            "dep_0123456789abcdef0123456789abcde",
            "dep_0123456789abcdef0123456789abcdef0",
        ] {
            assert!(bad.parse::<DepositId>().is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<DepositId>(r#""dep_x""#).is_err());
        // One kind of id is never taken for another.
        assert!("wd_0123456789abcdef0123456789abcdef".parse::<DepositId>().is_err());
        assert!(ok.parse::<WithdrawalId>().is_err());
        assert!("wd_0123456789abcdef0123456789abcdef".parse::<WithdrawalId>().is_ok());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_deposit_ids_parse() {
        let id = DepositId::generate();
        assert_eq!(id.as_str().parse::<DepositId>().unwrap(), id);
        let id = WithdrawalId::generate();
        assert_eq!(id.as_str().parse::<WithdrawalId>().unwrap(), id);
    }

    #[test]
    fn a_currency_is_three_capital_letters() {
        assert_eq!("EUR".parse::<Currency>().unwrap().as_str(), "EUR");
        for bad in ["", "eur", "EURO", "EU", "E1R", "ÉUR"] {
            assert!(bad.parse::<Currency>().is_err(), "{bad:?}");
        }
    }
}
