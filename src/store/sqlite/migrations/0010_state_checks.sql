-- The values each state column may hold, matching the Rust enums that
-- decode them (DepositState, Role, CaseState, DocumentState, DocumentType,
-- FileKind; the credit outbox's states live only in SQL). SQLite cannot add
-- a CHECK to an existing table without rebuilding it, so triggers refuse a
-- bad value on insert and on update; PostgreSQL gets real CHECK constraints.

CREATE TRIGGER deposits_state_check_insert BEFORE INSERT ON deposits
WHEN NEW.state NOT IN ('pending', 'confirmed', 'credited', 'failed', 'cancelled', 'expired', 'review')
BEGIN SELECT RAISE(ABORT, 'deposits.state: unknown value'); END;

CREATE TRIGGER deposits_state_check_update BEFORE UPDATE OF state ON deposits
WHEN NEW.state NOT IN ('pending', 'confirmed', 'credited', 'failed', 'cancelled', 'expired', 'review')
BEGIN SELECT RAISE(ABORT, 'deposits.state: unknown value'); END;

CREATE TRIGGER credit_outbox_state_check_insert BEFORE INSERT ON credit_outbox
WHEN NEW.state NOT IN ('pending', 'done', 'review', 'duplicate', 'reconciled')
BEGIN SELECT RAISE(ABORT, 'credit_outbox.state: unknown value'); END;

CREATE TRIGGER credit_outbox_state_check_update BEFORE UPDATE OF state ON credit_outbox
WHEN NEW.state NOT IN ('pending', 'done', 'review', 'duplicate', 'reconciled')
BEGIN SELECT RAISE(ABORT, 'credit_outbox.state: unknown value'); END;

CREATE TRIGGER staff_role_check_insert BEFORE INSERT ON staff
WHEN NEW.role NOT IN ('admin', 'compliance', 'support')
BEGIN SELECT RAISE(ABORT, 'staff.role: unknown value'); END;

CREATE TRIGGER staff_role_check_update BEFORE UPDATE OF role ON staff
WHEN NEW.role NOT IN ('admin', 'compliance', 'support')
BEGIN SELECT RAISE(ABORT, 'staff.role: unknown value'); END;

CREATE TRIGGER kyc_cases_state_check_insert BEFORE INSERT ON kyc_cases
WHEN NEW.state NOT IN ('not_started', 'in_progress', 'submitted', 'more_info', 'approved', 'rejected')
BEGIN SELECT RAISE(ABORT, 'kyc_cases.state: unknown value'); END;

CREATE TRIGGER kyc_cases_state_check_update BEFORE UPDATE OF state ON kyc_cases
WHEN NEW.state NOT IN ('not_started', 'in_progress', 'submitted', 'more_info', 'approved', 'rejected')
BEGIN SELECT RAISE(ABORT, 'kyc_cases.state: unknown value'); END;

CREATE TRIGGER kyc_documents_state_check_insert BEFORE INSERT ON kyc_documents
WHEN NEW.state NOT IN ('uploaded', 'accepted', 'rejected', 'replaced')
BEGIN SELECT RAISE(ABORT, 'kyc_documents.state: unknown value'); END;

CREATE TRIGGER kyc_documents_state_check_update BEFORE UPDATE OF state ON kyc_documents
WHEN NEW.state NOT IN ('uploaded', 'accepted', 'rejected', 'replaced')
BEGIN SELECT RAISE(ABORT, 'kyc_documents.state: unknown value'); END;

CREATE TRIGGER kyc_documents_doc_type_check_insert BEFORE INSERT ON kyc_documents
WHEN NEW.doc_type NOT IN ('identity', 'address', 'additional')
BEGIN SELECT RAISE(ABORT, 'kyc_documents.doc_type: unknown value'); END;

CREATE TRIGGER kyc_documents_doc_type_check_update BEFORE UPDATE OF doc_type ON kyc_documents
WHEN NEW.doc_type NOT IN ('identity', 'address', 'additional')
BEGIN SELECT RAISE(ABORT, 'kyc_documents.doc_type: unknown value'); END;

CREATE TRIGGER kyc_documents_kind_check_insert BEFORE INSERT ON kyc_documents
WHEN NEW.kind NOT IN ('jpeg', 'png', 'pdf')
BEGIN SELECT RAISE(ABORT, 'kyc_documents.kind: unknown value'); END;

CREATE TRIGGER kyc_documents_kind_check_update BEFORE UPDATE OF kind ON kyc_documents
WHEN NEW.kind NOT IN ('jpeg', 'png', 'pdf')
BEGIN SELECT RAISE(ABORT, 'kyc_documents.kind: unknown value'); END;

CREATE TRIGGER chat_attachments_kind_check_insert BEFORE INSERT ON chat_attachments
WHEN NEW.kind NOT IN ('jpeg', 'png', 'pdf')
BEGIN SELECT RAISE(ABORT, 'chat_attachments.kind: unknown value'); END;

CREATE TRIGGER chat_attachments_kind_check_update BEFORE UPDATE OF kind ON chat_attachments
WHEN NEW.kind NOT IN ('jpeg', 'png', 'pdf')
BEGIN SELECT RAISE(ABORT, 'chat_attachments.kind: unknown value'); END;
