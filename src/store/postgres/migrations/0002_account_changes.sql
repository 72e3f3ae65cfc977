-- #16: a trader's screens follow their account live (deposits, withdrawals,
-- KYC) instead of polling. Every write to those tables sends a NOTIFY with
-- the account's login, delivered when (and only if) the writer's
-- transaction commits, whatever code or instance made it; every instance
-- LISTENs and wakes the streams of that account.
CREATE FUNCTION inapp_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('inapp_account', OLD.login::text);
    ELSE
        PERFORM pg_notify('inapp_account', NEW.login::text);
    END IF;
    RETURN NULL;
END
$$;

-- Updates of deposits, withdrawals and documents announce only a change of
-- state: what a trader's screen shows moves with it, and the other updates
-- (a payment id noted, a first of two approvals, a file deleted at the end of
-- its retention) would only make screens read the same thing again. That
-- also keeps NOTIFY, whose commits PostgreSQL orders one at a time, off the
-- writes nobody watches.
CREATE TRIGGER deposits_inserted AFTER INSERT ON deposits FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER deposits_moved AFTER UPDATE OF state ON deposits FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER withdrawals_inserted AFTER INSERT ON withdrawals FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER withdrawals_moved AFTER UPDATE OF state ON withdrawals FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_cases_announced AFTER INSERT OR UPDATE ON kyc_cases FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_documents_added AFTER INSERT OR DELETE ON kyc_documents FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_documents_moved AFTER UPDATE OF state ON kyc_documents FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION inapp_account_changed();
CREATE TRIGGER kyc_events_announced AFTER INSERT ON kyc_events FOR EACH ROW EXECUTE FUNCTION inapp_account_changed();
