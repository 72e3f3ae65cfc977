-- A session started from a link for another account than the session it
-- replaced remembers that account until the first page shows the switch
-- (#13: a link with someone else's token never switches a trader silently).
ALTER TABLE sessions ADD COLUMN switched_from INTEGER;
