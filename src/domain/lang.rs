use serde::{Deserialize, Serialize};

/// A language the screens are translated into. cTrader sends an ISO 639-1 code
/// in `lang`; anything we do not know falls back to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
    De,
    Fr,
    It,
    Pt,
    Ru,
    Zh,
    Ja,
    Ar,
    Tr,
    Pl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Ltr,
    Rtl,
}

impl Lang {
    pub const ALL: [Lang; 12] = [Lang::En, Lang::Es, Lang::De, Lang::Fr, Lang::It, Lang::Pt, Lang::Ru, Lang::Zh, Lang::Ja, Lang::Ar, Lang::Tr, Lang::Pl];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Ru => "ru",
            Lang::Zh => "zh",
            Lang::Ja => "ja",
            Lang::Ar => "ar",
            Lang::Tr => "tr",
            Lang::Pl => "pl",
        }
    }

    /// Accepts `es`, `ES`, `es-MX`, `pt_BR`; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Lang> {
        let primary = raw.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    pub fn dir(self) -> Dir {
        match self {
            Lang::Ar => Dir::Rtl,
            _ => Dir::Ltr,
        }
    }
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_regions() {
        assert_eq!(Lang::parse("es"), Some(Lang::Es));
        assert_eq!(Lang::parse("PT_br"), Some(Lang::Pt));
        assert_eq!(Lang::parse("zh-Hans"), Some(Lang::Zh));
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(Lang::parse("<script>"), None);
    }

    #[test]
    fn arabic_is_right_to_left() {
        assert_eq!(Lang::Ar.dir(), Dir::Rtl);
        assert_eq!(Lang::En.dir(), Dir::Ltr);
    }
}
