-- The back-office's queues are paged (#13: nothing needing action
-- disappears behind newer items): each state's queue is read oldest first.
CREATE INDEX deposits_state ON deposits (state, updated_at);
CREATE INDEX deposits_created ON deposits (created_at);
