use serde::{Deserialize, Serialize};

/// Which cTrader application opened the screen (`source=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Source {
    #[default]
    Web,
    Desktop,
    MacOs,
    Ios,
    Android,
    Mobile,
}

impl Source {
    pub fn parse(raw: &str) -> Option<Source> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "web" => Some(Source::Web),
            "desktop" => Some(Source::Desktop),
            "macos" => Some(Source::MacOs),
            "ios" => Some(Source::Ios),
            "android" => Some(Source::Android),
            "mobile" => Some(Source::Mobile),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "Web",
            Source::Desktop => "Desktop",
            Source::MacOs => "MacOS",
            Source::Ios => "iOS",
            Source::Android => "Android",
            Source::Mobile => "Mobile",
        }
    }

    /// Phones get camera capture and a compact layout.
    pub fn is_mobile(self) -> bool {
        matches!(self, Source::Ios | Source::Android | Source::Mobile)
    }
}
