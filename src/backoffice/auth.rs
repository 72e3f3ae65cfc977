use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

pub use crate::security::password::hash_password;
use crate::session::{hash as sha256_hex, new_session_id};
use crate::state::AppState;
pub use crate::store::Role;
use crate::store::{StaffRecord, StoreError};
use crate::web::PageError;

pub const COOKIE: &str = "inapp_staff";
const IDLE_MS: i64 = 30 * 60_000;
const ABSOLUTE_MS: i64 = 10 * 3_600_000;

#[derive(Debug, thiserror::Error)]
pub enum CreateStaffError {
    #[error("the email must look like name@example.com")]
    BadEmail,
    #[error("the password must be at least 12 characters")]
    WeakPassword,
    #[error("a staff member with this email already exists")]
    Exists,
    #[error("{0}")]
    Store(#[from] StoreError),
}

pub async fn create_staff(store: &crate::store::Store, email: &str, password: &str, role: Role) -> Result<(), CreateStaffError> {
    let email = email.trim().to_ascii_lowercase();
    if !email.contains('@') || email.len() > 254 || email.starts_with('@') || email.ends_with('@') {
        return Err(CreateStaffError::BadEmail);
    }
    if password.chars().count() < 12 {
        return Err(CreateStaffError::WeakPassword);
    }
    let hash = hash_password(password);
    if store.staff.create_staff(&email, &hash, role, crate::time::now_ms()).await? {
        Ok(())
    } else {
        Err(CreateStaffError::Exists)
    }
}

/// Signs in: the staff member and a new session cookie, or `None`.
pub async fn sign_in(state: &AppState, email: &str, password: &str) -> Result<Option<(StaffRecord, HeaderValue)>, PageError> {
    let staff = state.store.staff.staff_by_email(&email.trim().to_ascii_lowercase()).await?;
    if !crate::security::password::verify(crate::security::password::Queue::SignIn, password, staff.as_ref().map(|s| s.password_hash.as_str())).await? {
        return Ok(None);
    }
    let staff = staff.expect("verified, so it exists");
    let id = new_session_id();
    let now = state.clock.now_ms();
    state.store.staff.insert_staff_session(&sha256_hex(&id), staff.id, now, now + ABSOLUTE_MS).await?;
    let c = Cookie::build((COOKIE, id))
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Strict)
        .path("/backoffice")
        .max_age(cookie::time::Duration::milliseconds(ABSOLUTE_MS))
        .build();
    Ok(Some((staff, HeaderValue::from_str(&c.to_string()).expect("base64url cookie is a valid header"))))
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()).filter_map(Result::ok).collect::<Vec<_>>())
        .find(|c| c.name() == COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// The signed-in staff member, if the cookie names a live session.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<StaffRecord>, StoreError> {
    let Some(id) = session_id(headers) else { return Ok(None) };
    let now = state.clock.now_ms();
    state.store.staff.staff_for_session(&sha256_hex(&id), now, now - IDLE_MS).await
}

pub async fn sign_out(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, StoreError> {
    if let Some(id) = session_id(headers) {
        state.store.staff.delete_staff_session(&sha256_hex(&id)).await?;
    }
    Ok(HeaderValue::from_static("inapp_staff=; Path=/backoffice; Max-Age=0; HttpOnly; SameSite=Strict"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::password::verify_password;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("wrong horse battery", Some(&h)));
        assert!(!verify_password("correct horse battery", None));
        assert!(!verify_password("x", Some("not a hash")));
    }
}
