-- #18: a rejected document is one the trader may send again (retry, as
-- before) or a final rejection (no re-upload: the trader contacts support);
-- and a decision may carry an internal note only staff see, apart from the
-- reason the trader is shown.
ALTER TABLE kyc_documents ADD COLUMN rejected_final INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kyc_events ADD COLUMN internal_note TEXT;
-- A photo's quality scores as the server measured them (JSON:
-- domain::kyc::quality::QualityScores), for the reviewer.
ALTER TABLE kyc_documents ADD COLUMN quality TEXT;
