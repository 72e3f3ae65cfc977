use leptos::prelude::*;

use crate::components::{use_page, Frame};
use crate::i18n::t;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneKind {
    Success,
    Failure,
    Close,
}

impl DoneKind {
    fn key(self) -> &'static str {
        match self {
            DoneKind::Success => "success",
            DoneKind::Failure => "failure",
            DoneKind::Close => "close",
        }
    }
}

/// The default success, failure and close URLs. cTrader closes its browser when
/// it sees them; a browser outside cTrader shows this short page instead.
#[component]
pub fn DonePage(kind: DoneKind) -> impl IntoView {
    let lang = use_page().lang;
    let key = kind.key();
    view! {
        <Frame title=t(lang, &format!("done.{key}.title"))>
            <p data-testid="done" data-kind=key>{t(lang, &format!("done.{key}.body"))}</p>
        </Frame>
    }
}
