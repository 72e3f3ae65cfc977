//! KYC on the server: where documents are kept, how an upload is checked
//! (type by content, size, dimensions, PDF contents) before anything is
//! written, the case service the screens and the back-office call, and the
//! outbox worker that carries a decision to cTrader as `accessRights`, and
//! the screening of traders against sanctions and PEP lists.

pub mod access;
pub mod files;
pub mod handoff;
pub mod inspect;
pub mod orphans;
pub mod pdf_scan;
pub mod screening;
pub mod serve;
pub mod service;
pub mod start;
pub mod upload;

pub use files::{DocumentFiles, ObjectFiles};
