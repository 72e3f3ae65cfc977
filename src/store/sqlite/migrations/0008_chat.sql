-- Support chat: one conversation per trading account (login), its messages
-- numbered 1, 2, 3, … per conversation, and the files attached to them.
CREATE TABLE chat_conversations (
    id                    INTEGER PRIMARY KEY,
    login                 INTEGER NOT NULL UNIQUE,
    user_id               INTEGER NOT NULL,
    trader_name           TEXT,
    closed                INTEGER NOT NULL DEFAULT 0,
    assignee_id           INTEGER REFERENCES staff (id),
    last_seq              INTEGER NOT NULL DEFAULT 0,
    -- Receipts: the highest seq each side has received / read.
    trader_delivered_seq  INTEGER NOT NULL DEFAULT 0,
    trader_read_seq       INTEGER NOT NULL DEFAULT 0,
    staff_delivered_seq   INTEGER NOT NULL DEFAULT 0,
    staff_read_seq        INTEGER NOT NULL DEFAULT 0,
    -- Typing indicators are moments in the database, so any instance can tell.
    trader_typing_until   INTEGER NOT NULL DEFAULT 0,
    staff_typing_until    INTEGER NOT NULL DEFAULT 0,
    -- Trader messages the staff have not read (kept here so the inbox is one read).
    unread_by_staff       INTEGER NOT NULL DEFAULT 0,
    last_message_at       INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX chat_conversations_inbox ON chat_conversations (closed, assignee_id, updated_at);

CREATE TABLE chat_attachments (
    id               TEXT PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES chat_conversations (id),
    author           TEXT NOT NULL CHECK (author IN ('trader', 'staff')),
    file_name        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    has_preview      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE chat_messages (
    conversation_id  INTEGER NOT NULL REFERENCES chat_conversations (id),
    seq              INTEGER NOT NULL,
    author           TEXT NOT NULL CHECK (author IN ('trader', 'staff')),
    staff_id         INTEGER REFERENCES staff (id),
    client_id        TEXT NOT NULL,
    body             TEXT NOT NULL,
    attachment_id    TEXT REFERENCES chat_attachments (id),
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    -- A resend of the same message (same browser-made id) is the same message.
    UNIQUE (conversation_id, author, client_id)
);
CREATE INDEX chat_messages_rate ON chat_messages (conversation_id, author, created_at);

-- Every change to a conversation, so every instance can wake its own
-- listeners; rows older than a few minutes are deleted.
CREATE TABLE chat_changes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL,
    origin           TEXT NOT NULL,
    at               INTEGER NOT NULL
);
