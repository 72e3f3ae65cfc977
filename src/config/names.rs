//! Configuration values that name a domain enum (`"identity"`,
//! `"more_info"`) are read straight into it with its own `parse`, so a typo
//! stops start-up with the key and the accepted names. The enums' serde form
//! is their wire form to the browser and is left alone.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, Error};
use serde::Deserialize;

use crate::domain::action::{ActionKind, FieldKind};
use crate::domain::kyc::{CaseState, DetailField, DocumentType};

/// An enum written in configuration by its snake_case name.
pub trait Named: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
}

/// Each of these enums already has `ALL` and `as_str`; `Named` only points at them.
macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            const ALL: &'static [Self] = &<$t>::ALL;
            fn as_str(self) -> &'static str {
                <$t>::as_str(self)
            }
        }
    )*};
}

named!(DetailField, DocumentType, CaseState, ActionKind, FieldKind);

fn parse<T: Named, E: Error>(name: &str) -> Result<T, E> {
    T::ALL.iter().copied().find(|v| v.as_str() == name).ok_or_else(|| E::custom(Unknown::<T>(name.to_string(), std::marker::PhantomData)))
}

struct Unknown<T>(String, std::marker::PhantomData<T>);

impl<T: Named> fmt::Display for Unknown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = T::ALL.iter().map(|v| v.as_str()).collect();
        write!(f, "unknown name `{}` (known: {})", self.0, known.join(", "))
    }
}

pub fn one<'de, D: Deserializer<'de>, T: Named>(d: D) -> Result<T, D::Error> {
    parse(&String::deserialize(d)?)
}

pub fn list<'de, D: Deserializer<'de>, T: Named>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<String>::deserialize(d)?.iter().map(|n| parse(n)).collect()
}

pub fn map_keys<'de, D: Deserializer<'de>, T: Named + Ord>(d: D) -> Result<BTreeMap<T, String>, D::Error> {
    BTreeMap::<String, String>::deserialize(d)?.into_iter().map(|(k, v)| Ok((parse(&k)?, v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Kyc {
        #[serde(deserialize_with = "list")]
        documents: Vec<DocumentType>,
        #[serde(deserialize_with = "map_keys")]
        rights: BTreeMap<CaseState, String>,
    }

    #[test]
    fn names_become_the_enum_and_a_typo_names_what_is_accepted() {
        let ok: Kyc = toml::from_str("documents = [\"identity\", \"address\"]\n[rights]\nmore_info = \"NO_TRADING\"").unwrap();
        assert_eq!(ok.documents, [DocumentType::Identity, DocumentType::Address]);
        assert_eq!(ok.rights.get(&CaseState::MoreInfo).map(String::as_str), Some("NO_TRADING"));
        let bad = toml::from_str::<Kyc>("documents = [\"passport\"]\n[rights]").err().unwrap().to_string();
        assert!(bad.contains("unknown name `passport` (known: identity, address, additional)"), "{bad}");
    }
}
