-- The desk's schema as desks made it before migrations (created on start by the desk,
-- the flags table on first use by the trainers' inbox), for SQLite.
-- Loaded by tests/test_desk_migrations.py, which then adds a few chats and migrates.
CREATE TABLE desk_conversations (
	id VARCHAR(64) NOT NULL, 
	account VARCHAR(100), 
	state VARCHAR(16) NOT NULL, 
	reason VARCHAR(50), 
	priority VARCHAR(10), 
	summary TEXT, 
	agent VARCHAR(100), 
	created_at FLOAT NOT NULL, 
	waiting_since FLOAT, 
	updated_at FLOAT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_desk_conversations_state ON desk_conversations (state);
CREATE TABLE desk_messages (
	id INTEGER NOT NULL, 
	conversation_id VARCHAR(64) NOT NULL, 
	sender VARCHAR(10) NOT NULL, 
	text TEXT NOT NULL, 
	payload TEXT, 
	client_id VARCHAR(64), 
	author VARCHAR(100), 
	created_at FLOAT NOT NULL, 
	reply_id INTEGER, 
	desk VARCHAR(100), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_desk_message_client_id UNIQUE (conversation_id, client_id)
);
CREATE INDEX ix_desk_messages_conversation_id ON desk_messages (conversation_id);
CREATE INDEX ix_desk_messages_created_at ON desk_messages (created_at);
CREATE TABLE desk_users (
	username VARCHAR(100) NOT NULL, 
	password_hash TEXT NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	PRIMARY KEY (username)
);
CREATE TABLE desk_sessions (
	token VARCHAR(64) NOT NULL, 
	username VARCHAR(100) NOT NULL, 
	expires_at FLOAT NOT NULL, 
	PRIMARY KEY (token)
);
CREATE TABLE training_flags (
	id INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	conversation_id VARCHAR(64), 
	flagged_by VARCHAR(100), 
	note TEXT, 
	created_at FLOAT NOT NULL, 
	resolved BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
