use async_trait::async_trait;
use sqlx::{Sqlite, Transaction};

use super::listing::Listing;
use super::SqliteStore;
use crate::domain::kyc::{CaseState, DocumentState, DocumentType};
use crate::domain::Login;
use crate::store::{
    derive_state, AccessJob, CaseDecision, CaseRecord, CaseRules, CaseVerdict, DocumentRecord, DocumentVerdict, EventRecord, KycStore, KycWrite, StoreError,
    UploadQuota,
};

/// A state's queue oldest change first; all cases with the submitted ones
/// first (oldest first), then those waiting on the trader, then the rest
/// latest change first.
const CASES: Listing = Listing {
    table: "kyc_cases",
    in_state: "updated_at, login",
    all: "CASE state WHEN 'submitted' THEN 0 WHEN 'more_info' THEN 1 WHEN 'in_progress' THEN 2 ELSE 3 END, \
          CASE state WHEN 'submitted' THEN updated_at ELSE -updated_at END, login",
};

pub(super) type Tx = Transaction<'static, Sqlite>;

/// One entry of the case's event log: `reason` is the trader's to read, `internal` staff's only.
#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    login: Login,
    now: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    reason: Option<&str>,
    internal: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO kyc_events (login, at, actor, action, subject, reason, internal_note) VALUES (?,?,?,?,?,?,?)")
        .bind(login)
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(reason)
        .bind(internal)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Creates the case if it does not exist yet; returns its state.
async fn ensure_case(tx: &mut Tx, login: Login, user_id: i64, kyc_type: &str, now: i64) -> Result<CaseState, sqlx::Error> {
    sqlx::query("INSERT INTO kyc_cases (login, user_id, kyc_type, state, created_at, updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT (login) DO NOTHING")
        .bind(login)
        .bind(user_id)
        .bind(kyc_type)
        .bind(CaseState::NotStarted)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    current_state(tx, login).await.map(|s| s.unwrap_or(CaseState::NotStarted))
}

/// The case's revision: its latest event, the trader's (details saved, a
/// document uploaded) or another reviewer's (a document decided, the level
/// set); what a reviewer's decision is checked against.
pub(crate) async fn revision(tx: &mut Tx, login: Login) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM kyc_events WHERE login = ?").bind(login).fetch_one(&mut **tx).await
}

async fn current_state(tx: &mut Tx, login: Login) -> Result<Option<CaseState>, sqlx::Error> {
    sqlx::query_scalar("SELECT state FROM kyc_cases WHERE login = ?").bind(login).fetch_optional(&mut **tx).await
}

/// Recomputes the state from what the case holds, saves it, and queues the
/// accessRights the new state maps to (same transaction: never lost).
async fn settle(tx: &mut Tx, login: Login, current: CaseState, rules: &CaseRules<'_>, now: i64) -> Result<CaseState, sqlx::Error> {
    let has_details: bool =
        sqlx::query_scalar::<_, i64>("SELECT details IS NOT NULL FROM kyc_cases WHERE login = ?").bind(login).fetch_one(&mut **tx).await? != 0;
    let latest: Vec<(DocumentType, DocumentState)> =
        sqlx::query_as("SELECT doc_type, state FROM kyc_documents WHERE login = ? AND state != 'replaced' ORDER BY created_at DESC")
            .bind(login)
            .fetch_all(&mut **tx)
            .await?;
    let next = derive_state(current, has_details, &latest, rules);
    move_to(tx, login, current, next, rules, now).await?;
    Ok(next)
}

async fn move_to(tx: &mut Tx, login: Login, current: CaseState, next: CaseState, rules: &CaseRules<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE kyc_cases SET state = ?, updated_at = ? WHERE login = ?").bind(next).bind(now).bind(login).execute(&mut **tx).await?;
    if next != current {
        if let Some(rights) = rules.access_rights.get(&next) {
            sqlx::query(
                "INSERT INTO kyc_access_sync (login, access_rights, version, next_at) VALUES (?, ?, 1, ?) \
                 ON CONFLICT (login) DO UPDATE SET access_rights = excluded.access_rights, version = version + 1, \
                 next_at = excluded.next_at, last_error = NULL",
            )
            .bind(login)
            .bind(rights)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// A confirmed match on a case already approved (found by screening after
/// the approval): the approval is withdrawn, the case rejected and the
/// rights for a rejection queued for cTrader, in the caller's transaction.
/// The trader is told no reason (that would tip them off); staff read the
/// officer's note in the audit log.
pub(super) async fn revoke_approval(tx: &mut Tx, login: Login, verdict: &crate::store::HitVerdict<'_>, now: i64) -> Result<(), sqlx::Error> {
    let current: Option<CaseState> = sqlx::query_scalar("SELECT state FROM kyc_cases WHERE login = ?").bind(login).fetch_optional(&mut **tx).await?;
    if current != Some(CaseState::Approved) {
        return Ok(());
    }
    let rules = CaseRules { kyc_type: "", needs_details: false, documents: &[], access_rights: verdict.access_rights };
    event(tx, login, now, verdict.actor, "rejected", None, None, Some(verdict.note)).await?;
    move_to(tx, login, CaseState::Approved, CaseState::Rejected, &rules, now).await
}

/// Another user's approved case with the same identity or document key
/// that `login` was not screened against (it has no duplicate match for
/// it, open or decided): approved after `login`'s last screening.
const UNSCREENED_TWIN: &str = "SELECT EXISTS (SELECT 1 FROM kyc_cases me JOIN kyc_cases o ON o.login != me.login AND o.user_id != me.user_id \
       AND ((me.identity_key IS NOT NULL AND o.identity_key = me.identity_key) OR (me.document_key IS NOT NULL AND o.document_key = me.document_key)) \
     WHERE me.login = ? AND o.state = 'approved' AND o.details IS NOT NULL \
       AND NOT EXISTS (SELECT 1 FROM kyc_screening_hits h WHERE h.login = me.login AND h.kind = 'duplicate' AND h.entry_id = CAST(o.login AS TEXT)))";

#[async_trait]
impl KycStore for SqliteStore {
    async fn case(&self, login: Login) -> Result<Option<CaseRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM kyc_cases WHERE login = ?").bind(login).fetch_optional(&self.pool).await?)
    }

    async fn states(&self, logins: &[Login]) -> Result<std::collections::HashMap<Login, CaseState>, StoreError> {
        if logins.is_empty() {
            return Ok(Default::default());
        }
        let marks = vec!["?"; logins.len()].join(",");
        let sql = format!("SELECT login, state FROM kyc_cases WHERE login IN ({marks})");
        let mut q = sqlx::query_as::<_, (Login, CaseState)>(&sql);
        for l in logins {
            q = q.bind(*l);
        }
        Ok(q.fetch_all(&self.pool).await?.into_iter().collect())
    }

    async fn documents(&self, login: Login) -> Result<Vec<DocumentRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM kyc_documents WHERE login = ? ORDER BY created_at DESC, id DESC").bind(login).fetch_all(&self.pool).await?)
    }

    async fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM kyc_documents WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn events(&self, login: Login) -> Result<Vec<EventRecord>, StoreError> {
        Ok(sqlx::query_as::<_, EventRecord>("SELECT * FROM kyc_events WHERE login = ? ORDER BY id").bind(login).fetch_all(&self.pool).await?)
    }

    async fn queue(&self, state: Option<CaseState>, limit: i64, offset: i64) -> Result<Vec<CaseRecord>, StoreError> {
        CASES.page(&self.pool, state, limit, offset).await
    }

    async fn queue_count(&self, state: Option<CaseState>) -> Result<i64, StoreError> {
        CASES.count(&self.pool, state).await
    }

    async fn save_details(&self, login: Login, user_id: i64, details_json: &str, rules: &CaseRules<'_>, now: i64) -> Result<KycWrite, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let current = ensure_case(&mut tx, login, user_id, rules.kyc_type, now).await?;
        if !current.open() {
            return Ok(KycWrite::Closed);
        }
        // A level compliance set stays, whatever the trader's link asked.
        sqlx::query("UPDATE kyc_cases SET details = ?, kyc_type = CASE WHEN level_locked = 0 THEN ? ELSE kyc_type END WHERE login = ?")
            .bind(details_json)
            .bind(rules.kyc_type)
            .bind(login)
            .execute(&mut *tx)
            .await?;
        event(&mut tx, login, now, "trader", "details_saved", None, None, None).await?;
        let next = settle(&mut tx, login, current, rules, now).await?;
        tx.commit().await?;
        Ok(KycWrite::Done(next))
    }

    async fn add_document(
        &self,
        d: &DocumentRecord,
        user_id: i64,
        rules: &CaseRules<'_>,
        quota: Option<&UploadQuota>,
        now: i64,
    ) -> Result<KycWrite, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        if let Some(q) = quota {
            if !within_quota(&mut tx, d.login, q, d.size).await? {
                return Ok(KycWrite::OverQuota);
            }
        }
        let current = ensure_case(&mut tx, d.login, user_id, rules.kyc_type, now).await?;
        if !current.open() {
            return Ok(KycWrite::Closed);
        }
        // A final rejection stands: the trader talks to support, not the upload.
        let final_rejections: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM kyc_documents WHERE login = ? AND doc_type = ? AND state = 'rejected' AND rejected_final = 1")
                .bind(d.login)
                .bind(d.doc_type)
                .fetch_one(&mut *tx)
                .await?;
        if final_rejections > 0 {
            return Ok(KycWrite::FinalRejection);
        }
        sqlx::query("UPDATE kyc_documents SET state = 'replaced', replaced_at = ? WHERE login = ? AND doc_type = ? AND state IN ('uploaded', 'rejected')")
            .bind(now)
            .bind(d.login)
            .bind(d.doc_type)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO kyc_documents (id, login, doc_type, state, file_name, kind, size, has_preview, created_at, quality) VALUES (?,?,?,?,?,?,?,?,?,?)",
        )
        .bind(&d.id)
        .bind(d.login)
        .bind(d.doc_type)
        .bind(DocumentState::Uploaded)
        .bind(&d.file_name)
        .bind(d.kind)
        .bind(d.size)
        .bind(d.has_preview)
        .bind(now)
        .bind(&d.quality)
        .execute(&mut *tx)
        .await?;
        event(&mut tx, d.login, now, "trader", "document_uploaded", Some(d.doc_type.as_str()), None, None).await?;
        let next = settle(&mut tx, d.login, current, rules, now).await?;
        tx.commit().await?;
        Ok(KycWrite::Done(next))
    }

    async fn decide_document(&self, doc_id: &str, verdict: &DocumentVerdict<'_>, actor: &str, rules: &CaseRules<'_>, now: i64) -> Result<KycWrite, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let Some((login, doc_type, doc_state)) =
            sqlx::query_as::<_, (Login, DocumentType, DocumentState)>("SELECT login, doc_type, state FROM kyc_documents WHERE id = ?")
                .bind(doc_id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(KycWrite::NotFound);
        };
        // The trader uploaded another since: this one is no longer what is decided on.
        if doc_state == DocumentState::Replaced {
            return Ok(KycWrite::Changed);
        }
        let Some(current) = current_state(&mut tx, login).await? else { return Ok(KycWrite::NotFound) };
        if !current.open() {
            return Ok(KycWrite::Closed);
        }
        let state = if verdict.accept { DocumentState::Accepted } else { DocumentState::Rejected };
        sqlx::query("UPDATE kyc_documents SET state = ?, reason = ?, rejected_final = ?, decided_at = ?, decided_by = ? WHERE id = ?")
            .bind(state)
            .bind(verdict.reason)
            .bind(!verdict.accept && verdict.final_rejection)
            .bind(now)
            .bind(actor)
            .bind(doc_id)
            .execute(&mut *tx)
            .await?;
        let action = if verdict.accept { "document_accepted" } else { "document_rejected" };
        event(&mut tx, login, now, actor, action, Some(doc_type.as_str()), verdict.reason, verdict.internal_note).await?;
        let next = settle(&mut tx, login, current, rules, now).await?;
        tx.commit().await?;
        Ok(KycWrite::Done(next))
    }

    async fn decide_case(
        &self,
        login: Login,
        verdict: &CaseVerdict<'_>,
        actor: &str,
        seen: i64,
        rules: &CaseRules<'_>,
        now: i64,
    ) -> Result<KycWrite, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let Some(current) = current_state(&mut tx, login).await? else { return Ok(KycWrite::NotFound) };
        if !current.open() {
            return Ok(KycWrite::Closed);
        }
        if revision(&mut tx, login).await? != seen {
            return Ok(KycWrite::Changed);
        }
        if verdict.decision == CaseDecision::Approve {
            let held: i64 = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM kyc_screening_hits WHERE login = ? AND (state = 'open' OR (state = 'confirmed' AND kind != 'pep')))",
            )
            .bind(login)
            .fetch_one(&mut *tx)
            .await?;
            if held != 0 {
                return Ok(KycWrite::OnHold);
            }
            // Inside the write lock: a twin approved at the same moment
            // has committed before this reads, or waits for this commit.
            let twin: i64 = sqlx::query_scalar(UNSCREENED_TWIN).bind(login).fetch_one(&mut *tx).await?;
            if twin != 0 {
                return Ok(KycWrite::Unscreened);
            }
        }
        let (next, action) = match verdict.decision {
            CaseDecision::Approve => (CaseState::Approved, "approved"),
            CaseDecision::Reject => (CaseState::Rejected, "rejected"),
            CaseDecision::MoreInfo => (CaseState::MoreInfo, "more_info"),
        };
        if verdict.decision == CaseDecision::Approve {
            // Approving the case accepts what is still waiting.
            sqlx::query("UPDATE kyc_documents SET state = 'accepted', decided_at = ?, decided_by = ? WHERE login = ? AND state = 'uploaded'")
                .bind(now)
                .bind(actor)
                .bind(login)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE kyc_cases SET note = ? WHERE login = ?").bind(verdict.reason).bind(login).execute(&mut *tx).await?;
        event(&mut tx, login, now, actor, action, None, verdict.reason, verdict.internal_note).await?;
        move_to(&mut tx, login, current, next, rules, now).await?;
        tx.commit().await?;
        Ok(KycWrite::Done(next))
    }

    async fn set_level(&self, login: Login, actor: &str, seen: i64, rules: &CaseRules<'_>, now: i64) -> Result<KycWrite, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let Some(current) = current_state(&mut tx, login).await? else { return Ok(KycWrite::NotFound) };
        if !current.open() {
            return Ok(KycWrite::Closed);
        }
        if revision(&mut tx, login).await? != seen {
            return Ok(KycWrite::Changed);
        }
        sqlx::query("UPDATE kyc_cases SET kyc_type = ?, level_locked = 1 WHERE login = ?").bind(rules.kyc_type).bind(login).execute(&mut *tx).await?;
        event(&mut tx, login, now, actor, "level_changed", Some(rules.kyc_type), None, None).await?;
        let next = settle(&mut tx, login, current, rules, now).await?;
        tx.commit().await?;
        Ok(KycWrite::Done(next))
    }

    async fn uploads_since(&self, login: Login, since: i64) -> Result<(i64, i64), StoreError> {
        let (n, bytes): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ( \
               SELECT size FROM kyc_documents WHERE login = ? AND created_at >= ? \
               UNION ALL \
               SELECT a.size FROM chat_attachments a JOIN chat_conversations c ON c.id = a.conversation_id \
               WHERE c.login = ? AND a.author = 'trader' AND a.created_at >= ?)",
        )
        .bind(login)
        .bind(since)
        .bind(login)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((n, bytes))
    }

    async fn replaced_before(&self, before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM kyc_documents WHERE replaced_at IS NOT NULL AND replaced_at < ? AND file_deleted_at IS NULL LIMIT ?")
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn known_file_ids(&self, ids: &[String]) -> Result<std::collections::HashSet<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let marks = vec!["?"; ids.len()].join(",");
        let sql = format!("SELECT id FROM kyc_documents WHERE id IN ({marks}) UNION SELECT id FROM chat_attachments WHERE id IN ({marks})");
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for id in ids.iter().chain(ids) {
            q = q.bind(id);
        }
        Ok(q.fetch_all(&self.pool).await?.into_iter().collect())
    }

    async fn file_deleted(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE kyc_documents SET file_deleted_at = ? WHERE id = ? AND file_deleted_at IS NULL").bind(now).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn claim_access(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<AccessJob>, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let rows: Vec<(Login, String, i64, i64)> = sqlx::query_as(
            "UPDATE kyc_access_sync SET attempts = attempts + 1, locked_until = ? WHERE login IN \
             (SELECT login FROM kyc_access_sync WHERE applied_version < version AND next_at <= ? \
              AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_at LIMIT ?) \
             RETURNING login, access_rights, version, attempts",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|(login, access_rights, version, attempt)| AccessJob { login, access_rights, version, attempt }).collect())
    }

    async fn access_applied(&self, login: Login, version: i64, attempt: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE kyc_access_sync SET applied_version = MAX(applied_version, ?), locked_until = NULL, last_error = NULL WHERE login = ? AND attempts = ?",
        )
        .bind(version)
        .bind(login)
        .bind(attempt)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn access_retry(&self, login: Login, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        // Held until `next_at`, even for a newer decision: the failed call may still land before then.
        sqlx::query("UPDATE kyc_access_sync SET next_at = ?1, locked_until = ?1, last_error = ?2 WHERE login = ?3 AND attempts = ?4")
            .bind(next_at)
            .bind(error)
            .bind(login)
            .bind(attempt)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn access_state(&self, login: Login) -> Result<Option<(String, bool)>, StoreError> {
        let row: Option<(String, i64, i64)> = sqlx::query_as("SELECT access_rights, version, applied_version FROM kyc_access_sync WHERE login = ?")
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(r, v, a)| (r, a >= v)))
    }
}

/// Whether one more upload of `size` bytes stays within `quota`: counted in
/// the write transaction that records it (SQLite's one writer at a time).
pub(super) async fn within_quota(tx: &mut Transaction<'static, Sqlite>, login: Login, quota: &UploadQuota, size: i64) -> Result<bool, sqlx::Error> {
    let (files, bytes): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ( \
           SELECT size FROM kyc_documents WHERE login = ?1 AND created_at >= ?2 \
           UNION ALL \
           SELECT a.size FROM chat_attachments a JOIN chat_conversations c ON c.id = a.conversation_id \
           WHERE c.login = ?1 AND a.author = 'trader' AND a.created_at >= ?2)",
    )
    .bind(login)
    .bind(quota.since)
    .fetch_one(&mut **tx)
    .await?;
    Ok(files < quota.files && bytes.saturating_add(size) <= quota.bytes)
}
