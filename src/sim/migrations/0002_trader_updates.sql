-- Trader updates the broker made (accessRights after a KYC decision).
CREATE TABLE sim_trader_updates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    login      INTEGER NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
