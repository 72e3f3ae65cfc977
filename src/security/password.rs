//! Password hashing (argon2id, default parameters) for staff, SSO users and
//! the CRM API password, in one place. A check costs ~50 ms of one core on
//! purpose; requests run it through [`verify`], on the blocking pool and at
//! most [`AT_ONCE`] at a time, so a burst of sign-ins cannot take the async
//! workers (and every other request) with it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters hashes any input").to_string()
}

/// Checks a password in constant time; an unknown email is checked against a
/// dummy hash so the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not-a-real-password"));
    let hash = stored.unwrap_or(dummy);
    let ok = PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false);
    ok && stored.is_some()
}

/// Password checks running at once; more would only queue on the CPU.
pub const AT_ONCE: usize = 2;
/// How long a sign-in waits for a slot before it is told to come back.
const WAIT: Duration = Duration::from_secs(5);

/// Every slot was taken for longer than a sign-in waits: answer 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins at once; try again in a moment")]
pub struct Busy;

/// Which line a password check queues in: cTrader's CRM API password has a
/// slot of its own, so a flood of sign-ins cannot stall cTrader's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Staff and SSO users signing in.
    SignIn,
    /// cTrader asking for a CRM API token (4.1).
    CrmApi,
}

/// [`verify_password`] off the async workers, behind its queue's limit.
pub async fn verify(queue: Queue, password: &str, stored: Option<&str>) -> Result<bool, Busy> {
    static SIGN_IN: OnceLock<Arc<Semaphore>> = OnceLock::new();
    static CRM_API: OnceLock<Arc<Semaphore>> = OnceLock::new();
    let slots = match queue {
        Queue::SignIn => SIGN_IN.get_or_init(|| Arc::new(Semaphore::new(AT_ONCE))),
        Queue::CrmApi => CRM_API.get_or_init(|| Arc::new(Semaphore::new(1))),
    };
    verify_within(slots, WAIT, password, stored).await
}

async fn verify_within(slots: &Arc<Semaphore>, wait: Duration, password: &str, stored: Option<&str>) -> Result<bool, Busy> {
    let slot = tokio::time::timeout(wait, slots.clone().acquire_owned()).await.map_err(|_| Busy)?.map_err(|_| Busy)?;
    let (password, stored) = (password.to_string(), stored.map(str::to_string));
    // The slot goes with the work: a client that hangs up does not free it
    // while the hash still runs.
    let check = move || {
        let ok = verify_password(&password, stored.as_deref());
        drop(slot);
        ok
    };
    // A panic in the hash (there is none) would be a refusal, never a pass.
    Ok(tokio::task::spawn_blocking(check).await.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_check_waits_for_a_free_slot_and_gives_up_as_busy() {
        let hash = hash_password("correct horse battery");
        let slots = Arc::new(Semaphore::new(1));
        assert_eq!(verify_within(&slots, WAIT, "correct horse battery", Some(&hash)).await, Ok(true));
        assert_eq!(verify_within(&slots, WAIT, "wrong horse battery", Some(&hash)).await, Ok(false));
        let held = slots.acquire().await.unwrap();
        assert_eq!(verify_within(&slots, Duration::from_millis(20), "correct horse battery", Some(&hash)).await, Err(Busy));
        drop(held);
        assert_eq!(verify_within(&slots, WAIT, "correct horse battery", Some(&hash)).await, Ok(true), "the slot is free again");
    }

    #[tokio::test]
    async fn a_check_whose_caller_hung_up_keeps_its_slot_until_the_hash_is_done() {
        let hash = hash_password("correct horse battery");
        let slots = Arc::new(Semaphore::new(1));
        // Polled once (the slot taken, the hash handed to the blocking pool), then dropped.
        let abandoned = verify_within(&slots, WAIT, "correct horse battery", Some(&hash));
        assert!(futures::FutureExt::now_or_never(abandoned).is_none(), "still hashing after one poll");
        assert_eq!(slots.available_permits(), 0, "the running hash still holds the slot");
        tokio::time::timeout(WAIT, async {
            while slots.available_permits() == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the slot comes back when the hash ends");
    }
}
