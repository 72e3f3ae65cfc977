//! The theme file's format and its checks.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Every colour token, in the file's spelling; `--color-<token with ->` in CSS.
pub const TOKENS: [&str; 11] = ["bg", "surface", "text", "muted", "border", "brand", "brand_contrast", "danger", "success", "warning", "warning_contrast"];

/// A palette: token → `#rrggbb`.
pub type Palette = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub broker_name: String,
    pub legal_entity: String,
    pub logo: String,
    pub font_family: String,
    pub radius: String,
    /// Footer per language code; `%{entity}` is the legal entity.
    pub footer: BTreeMap<String, String>,
    pub light: Palette,
    pub dark: Palette,
}

/// A refused theme file: the key at fault and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("theme {}{problem}", if key.is_empty() { String::new() } else { format!("key `{key}`: ") })]
pub struct ThemeError {
    pub key: String,
    pub problem: String,
}

impl ThemeError {
    pub fn new(key: &str, problem: impl Into<String>) -> ThemeError {
        ThemeError { key: key.to_string(), problem: problem.into() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    broker_name: String,
    legal_entity: String,
    logo: String,
    font_family: String,
    radius: String,
    #[serde(default)]
    footer: BTreeMap<String, String>,
    colors: RawColors,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColors {
    light: BTreeMap<String, String>,
    dark: BTreeMap<String, String>,
}

fn hex_colour(v: &str) -> bool {
    let Some(h) = v.strip_prefix('#') else { return false };
    matches!(h.len(), 3 | 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Nothing that could end a CSS declaration or start another.
fn css_safe(v: &str) -> bool {
    !v.chars().any(|c| matches!(c, ';' | '{' | '}' | '<' | '>' | '\\') || c.is_control())
}

fn length(v: &str) -> bool {
    let num = v.strip_suffix("rem").or_else(|| v.strip_suffix("px")).unwrap_or("");
    !num.is_empty() && num.parse::<f32>().is_ok_and(|n| (0.0..=48.0).contains(&n))
}

fn palette(name: &str, raw: BTreeMap<String, String>) -> Result<Palette, ThemeError> {
    for key in raw.keys() {
        if !TOKENS.contains(&key.as_str()) {
            return Err(ThemeError::new(&format!("colors.{name}.{key}"), format!("not a colour token (tokens: {})", TOKENS.join(", "))));
        }
    }
    for token in TOKENS {
        match raw.get(token) {
            None => return Err(ThemeError::new(&format!("colors.{name}.{token}"), "missing")),
            Some(v) if !hex_colour(v) => {
                return Err(ThemeError::new(&format!("colors.{name}.{token}"), format!("{v:?} is not a colour; use #rgb or #rrggbb")));
            }
            _ => {}
        }
    }
    Ok(raw)
}

/// Parses and checks a theme file's text.
pub fn parse(text: &str) -> Result<Theme, ThemeError> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        // toml names the key it could not read in its message; keep it short.
        let msg = e.message().to_string();
        let key = e.span().map(|s| text[..s.start].lines().count()).map(|l| format!("line {l}")).unwrap_or_default();
        ThemeError::new(&key, msg)
    })?;
    for (key, v) in [("broker_name", &raw.broker_name), ("legal_entity", &raw.legal_entity)] {
        if v.trim().is_empty() || v.chars().count() > 120 {
            return Err(ThemeError::new(key, "must be 1 to 120 characters"));
        }
    }
    if !(raw.logo.starts_with('/') || raw.logo.starts_with("https://")) || !css_safe(&raw.logo) || raw.logo.contains('"') {
        return Err(ThemeError::new("logo", "a path starting with / or an https:// URL"));
    }
    let font_ok = raw.font_family.chars().all(|c| c.is_alphanumeric() || " ,-_.'\"".contains(c))
        && raw.font_family.matches('"').count().is_multiple_of(2)
        && raw.font_family.matches('\'').count().is_multiple_of(2);
    if raw.font_family.trim().is_empty() || !font_ok {
        return Err(ThemeError::new("font_family", "a font-family list: names, commas, spaces, hyphens and matched quotes only"));
    }
    if !length(&raw.radius) {
        return Err(ThemeError::new("radius", format!("{:?} is not a length; use px or rem, 0 to 48", raw.radius)));
    }
    for (lang, text) in &raw.footer {
        if crate::domain::Lang::parse(lang).is_none() {
            return Err(ThemeError::new(&format!("footer.{lang}"), "not one of the supported language codes"));
        }
        if text.trim().is_empty() || text.chars().count() > 400 {
            return Err(ThemeError::new(&format!("footer.{lang}"), "must be 1 to 400 characters"));
        }
    }
    Ok(Theme {
        light: palette("light", raw.colors.light)?,
        dark: palette("dark", raw.colors.dark)?,
        broker_name: raw.broker_name,
        legal_entity: raw.legal_entity,
        logo: raw.logo,
        font_family: raw.font_family,
        radius: raw.radius,
        footer: raw.footer,
    })
}

impl Theme {
    /// The CSS that puts this theme into the tailwind tokens.
    pub fn css(&self) -> String {
        let vars = |p: &Palette| p.iter().map(|(k, v)| format!("--color-{}:{v};", k.replace('_', "-"))).collect::<String>();
        format!(
            ":root{{{light}--font-brand:{font};--radius-md:calc({r} * 0.75);--radius-lg:{r};--radius-xl:calc({r} * 1.5);}}\n\
             html.dark{{{dark}}}\n\
             body{{font-family:var(--font-brand);}}\n",
            light = vars(&self.light),
            dark = vars(&self.dark),
            font = self.font_family,
            r = self.radius,
        )
    }

    /// The footer for `lang`, if the theme has one.
    pub fn footer_for(&self, lang: crate::domain::Lang) -> Option<String> {
        self.footer.get(lang.code()).map(|t| t.replace("%{entity}", &self.legal_entity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = include_str!("../../theme.toml");

    #[test]
    fn the_shipped_theme_is_valid_and_becomes_css() {
        let t = parse(GOOD).unwrap();
        let css = t.css();
        assert!(css.contains("--color-brand:#1d4ed8;") && css.contains("html.dark{") && css.contains("--color-brand-contrast:"));
        assert_eq!(t.footer_for(crate::domain::Lang::En).unwrap(), "Demo Broker Ltd. · Trading CFDs carries a high risk of losing money.");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = |from: &str, to: &str| parse(&GOOD.replacen(from, to, 1)).unwrap_err();
        assert_eq!(err("brand = \"#1d4ed8\"", "brand = \"blue\"").key, "colors.light.brand");
        assert_eq!(err("radius = \"0.5rem\"", "radius = \"round\"").key, "radius");
        assert_eq!(err("bg = \"#0b1220\"", "bgg = \"#0b1220\"").key, "colors.dark.bgg");
        assert_eq!(err("font_family = 'system-ui", "font_family = '}body{display:none} system-ui").key, "font_family");
        assert_eq!(err("font_family = 'system-ui", "font_family = 'x /* system-ui").key, "font_family", "a comment would swallow the rest of the CSS");
        assert_eq!(err("logo = \"/logo.svg\"", "logo = \"javascript:alert(1)\"").key, "logo");
        assert_eq!(err("en = \"%{entity}", "xx = \"%{entity}").key, "footer.xx");
        assert!(err("broker_name = \"Demo Broker\"", "broker_name = 42").to_string().contains("line"));
    }
}
