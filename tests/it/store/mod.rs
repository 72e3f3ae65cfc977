//! The store conformance suite: the same test bodies against both backends
//! (SQLite in a temporary folder, PostgreSQL in a fresh database each), so
//! the PostgreSQL port cannot drift from the SQLite behaviour the rest of the
//! server was written against. The bodies run their writes concurrently on a
//! multi-threaded runtime: under SQLite one writer at a time makes races
//! impossible, under PostgreSQL they are real, and the outcome must be the same.
//!
//! PostgreSQL comes from `INAPP_TEST_DATABASE_URL` (a server where the tests may
//! create databases); `make test` starts one with `scripts/postgres.sh`.

mod backend;
mod chat;
mod identity;
mod kyc;
mod live;
mod money;

/// One `#[tokio::test]` per backend for each listed body (`module::name`).
macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::store::$module::$name(crate::store::backend::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::store::$module::$name(crate::store::backend::postgres().await).await;
                }
            )*
        }
    };
}

conformance!(
    identity::sessions_round_trip,
    identity::a_one_time_token_is_claimed_once,
    identity::an_sso_code_is_redeemed_once,
    identity::a_staff_email_is_taken_once,
    identity::a_database_a_newer_version_migrated_still_opens,
    money::a_deposit_is_created_once_per_key,
    money::a_payment_is_confirmed_once,
    money::a_provider_event_is_applied_once,
    money::credit_jobs_are_leased_once,
    money::a_stale_attempt_cannot_close_a_job,
    money::queues_page_oldest_first,
    money::open_withdrawals_never_exceed_the_balance,
    money::a_withdrawal_is_approved_and_debited_once,
    money::four_eyes_hold_when_two_approve_at_once,
    money::a_bank_wire_is_recorded_approved_and_credited_once,
    money::a_statement_line_is_either_used_or_set_aside,
    chat::a_conversation_is_opened_once,
    chat::messages_get_consecutive_numbers,
    chat::a_resent_message_is_stored_once,
    live::other_instances_chat_changes_are_watched,
    live::account_changes_are_watched,
    kyc::a_case_is_created_once,
    kyc::one_document_of_a_type_stays_current,
    kyc::access_rights_jobs_are_leased_once_and_fenced,
    kyc::uploads_through_several_instances_at_once_stay_within_the_daily_quota,
    kyc::known_file_ids_are_documents_and_attachments,
);
