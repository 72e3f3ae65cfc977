-- Full SSO, cTrader's side: the access token (and inappToken) the trading
-- app keeps per user after a first login, used for automatic re-login.
CREATE TABLE sim_sso_logins (
    user_id      INTEGER PRIMARY KEY,
    access_token TEXT NOT NULL,
    inapp_token  TEXT,
    updated_at   INTEGER NOT NULL
);
