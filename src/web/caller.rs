//! Who is calling, as axum extractors: a handler's signature says who may
//! call it, and the refusal for anyone else is written here once.
//!
//! - [`Trader`]: the trader behind the session cookie (or the session the
//!   `/inapp` gate already put in the request). Refused with a JSON 401.
//! - [`Staff<R>`]: a signed-in staff member whose role is in the set `R`, for
//!   back-office pages: no session → the sign-in page, wrong role → 403 page.
//! - [`StaffApi<R>`]: the same caller for the back-office's JSON, event-stream
//!   and file endpoints, refused with JSON 401/403 instead.

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use super::error::{ApiError, PageError};
use crate::backoffice::{current_staff, Role};
use crate::session::{load_from_headers, Session};
use crate::state::AppState;
use crate::store::{StaffRecord, StoreError};

/// The identified trader of this request.
#[derive(Debug, Clone)]
pub struct Trader(pub Session);

/// The session the gate found for this request, or the one its cookie names.
pub async fn trader_session(state: &AppState, parts: &Parts) -> Result<Option<Session>, StoreError> {
    if let Some(session) = parts.extensions.get::<Session>() {
        return Ok(Some(session.clone()));
    }
    load_from_headers(state, &parts.headers).await
}

impl FromRequestParts<AppState> for Trader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        trader_session(state, parts).await?.map(Trader).ok_or_else(ApiError::no_session)
    }
}

/// A set of staff roles a handler admits.
pub trait Roles: Send + Sync + 'static {
    const ALLOWED: &'static [Role];
}

/// Every signed-in staff member.
pub struct AnyStaff;
/// Support agents (and admins): the chat inbox and conversations.
pub struct Agents;
/// Compliance reviewers (and admins): KYC cases and documents.
pub struct Reviewers;
/// Admins only: money corrections, SSO tokens.
pub struct Admins;
/// Finance (and admins): bank transfers received, statements, four-eyes approvals.
pub struct Finance;

impl Roles for AnyStaff {
    const ALLOWED: &'static [Role] = &[Role::Admin, Role::Compliance, Role::Support, Role::Finance];
}
impl Roles for Finance {
    const ALLOWED: &'static [Role] = &[Role::Finance, Role::Admin];
}
impl Roles for Agents {
    const ALLOWED: &'static [Role] = &[Role::Support, Role::Admin];
}
impl Roles for Reviewers {
    const ALLOWED: &'static [Role] = &[Role::Compliance, Role::Admin];
}
impl Roles for Admins {
    const ALLOWED: &'static [Role] = &[Role::Admin];
}

/// Why a staff caller was not admitted.
enum Refusal {
    NotSignedIn,
    WrongRole,
    Store(StoreError),
}

/// The signed-in member and their role, if the role is one of `allowed`.
async fn staff_with_role(state: &AppState, headers: &HeaderMap, allowed: &[Role]) -> Result<(StaffRecord, Role), Refusal> {
    match current_staff(state, headers).await {
        Ok(Some(member)) if allowed.contains(&member.role) => {
            let role = member.role;
            Ok((member, role))
        }
        Ok(Some(_)) => Err(Refusal::WrongRole),
        Ok(None) => Err(Refusal::NotSignedIn),
        Err(e) => Err(Refusal::Store(e)),
    }
}

/// A staff member in role set `R`, for a back-office page.
pub struct Staff<R> {
    pub member: StaffRecord,
    pub role: Role,
    roles: PhantomData<fn() -> R>,
}

impl<R> Deref for Staff<R> {
    type Target = StaffRecord;
    fn deref(&self) -> &StaffRecord {
        &self.member
    }
}

impl<R: Roles> FromRequestParts<AppState> for Staff<R> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match staff_with_role(state, &parts.headers, R::ALLOWED).await {
            Ok((member, role)) => Ok(Staff { member, role, roles: PhantomData }),
            Err(Refusal::NotSignedIn) => Err(PageError::SignIn),
            Err(Refusal::WrongRole) => Err(PageError::Forbidden),
            Err(Refusal::Store(e)) => Err(e.into()),
        }
    }
}

/// A staff member in role set `R`, for a JSON, event-stream or file endpoint.
pub struct StaffApi<R>(pub Staff<R>);

impl<R> Deref for StaffApi<R> {
    type Target = StaffRecord;
    fn deref(&self) -> &StaffRecord {
        &self.0.member
    }
}

impl<R: Roles> FromRequestParts<AppState> for StaffApi<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match staff_with_role(state, &parts.headers, R::ALLOWED).await {
            Ok((member, role)) => Ok(StaffApi(Staff { member, role, roles: PhantomData })),
            Err(Refusal::NotSignedIn) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "NOT_SIGNED_IN", "sign in to the back-office")),
            Err(Refusal::WrongRole) => Err(ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "this role may not do that")),
            Err(Refusal::Store(e)) => Err(e.into()),
        }
    }
}

/// For an open event stream: is this request's caller still a staff member
/// in `R`? A passing storage error does not end anyone's stream.
pub async fn still_staff<R: Roles>(state: &AppState, headers: &HeaderMap) -> bool {
    !matches!(staff_with_role(state, headers, R::ALLOWED).await, Err(Refusal::NotSignedIn | Refusal::WrongRole))
}
