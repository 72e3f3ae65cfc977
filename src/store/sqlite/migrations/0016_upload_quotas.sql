-- Quotas and retention (#13): when a KYC document was replaced (its file is
-- deleted `kyc.replaced_retention_days` later) and when its file was
-- deleted; chat attachments counted per trader per day.
ALTER TABLE kyc_documents ADD COLUMN replaced_at INTEGER;
ALTER TABLE kyc_documents ADD COLUMN file_deleted_at INTEGER;
-- Documents replaced before this column existed: their retention counts from now.
UPDATE kyc_documents SET replaced_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE state = 'replaced' AND replaced_at IS NULL;
CREATE INDEX kyc_documents_replaced ON kyc_documents (replaced_at) WHERE replaced_at IS NOT NULL AND file_deleted_at IS NULL;
CREATE INDEX chat_attachments_conversation ON chat_attachments (conversation_id, author, created_at);
