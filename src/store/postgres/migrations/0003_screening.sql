-- #18: possible matches found by sanctions and PEP screening, and traders
-- whose identity matches another trader's already verified
-- (kyc::screening), one per case, list, listed entry and the name and date
-- of birth screened: screening the same details again adds nothing, changed
-- details are screened afresh. Compliance clears or confirms each with a
-- note; while one is open or confirmed the case cannot be approved.
CREATE TABLE kyc_screening_hits (
    id             BIGSERIAL PRIMARY KEY,
    login          BIGINT NOT NULL REFERENCES kyc_cases (login),
    list_name      TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('sanctions', 'pep', 'duplicate')),
    entry_id       TEXT NOT NULL,
    entry_name     TEXT NOT NULL,
    entry_detail   TEXT NOT NULL,
    screened_name  TEXT NOT NULL,
    screened_birth TEXT NOT NULL,
    score          BIGINT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'cleared', 'confirmed')),
    note           TEXT,
    decided_by     TEXT,
    decided_at     BIGINT,
    created_at     BIGINT NOT NULL,
    UNIQUE (login, list_name, entry_id, screened_name, screened_birth)
);
CREATE INDEX kyc_screening_hits_state ON kyc_screening_hits (state, created_at);

-- Who a case's details say the trader is (name words, date of birth) and
-- which document they typed the machine-readable lines of (issuing state,
-- number): another user's verified case with either is the same person.
ALTER TABLE kyc_cases ADD COLUMN identity_key TEXT;
ALTER TABLE kyc_cases ADD COLUMN document_key TEXT;
CREATE INDEX kyc_cases_identity ON kyc_cases (identity_key);
CREATE INDEX kyc_cases_document ON kyc_cases (document_key);
