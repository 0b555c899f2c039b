-- The desk's schema as desks made it before migrations (created on start by the desk,
-- the flags table on first use by the trainers' inbox), for PostgreSQL (pg_dump --schema-only).
-- Loaded by tests/test_desk_migrations.py, which then adds a few chats and migrates.
CREATE TABLE public.desk_conversations (
    id character varying(64) NOT NULL,
    account character varying(100),
    state character varying(16) NOT NULL,
    reason character varying(50),
    priority character varying(10),
    summary text,
    agent character varying(100),
    created_at double precision NOT NULL,
    waiting_since double precision,
    updated_at double precision NOT NULL
);
CREATE TABLE public.desk_messages (
    id integer NOT NULL,
    conversation_id character varying(64) NOT NULL,
    sender character varying(10) NOT NULL,
    text text NOT NULL,
    payload text,
    client_id character varying(64),
    author character varying(100),
    created_at double precision NOT NULL,
    reply_id integer,
    desk character varying(100)
);
CREATE SEQUENCE public.desk_messages_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.desk_messages_id_seq OWNED BY public.desk_messages.id;
CREATE TABLE public.desk_sessions (
    token character varying(64) NOT NULL,
    username character varying(100) NOT NULL,
    expires_at double precision NOT NULL
);
CREATE TABLE public.desk_users (
    username character varying(100) NOT NULL,
    password_hash text NOT NULL,
    role character varying(20) NOT NULL
);
ALTER TABLE ONLY public.desk_messages ALTER COLUMN id SET DEFAULT nextval('public.desk_messages_id_seq'::regclass);
ALTER TABLE ONLY public.desk_conversations
    ADD CONSTRAINT desk_conversations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.desk_messages
    ADD CONSTRAINT desk_messages_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.desk_sessions
    ADD CONSTRAINT desk_sessions_pkey PRIMARY KEY (token);
ALTER TABLE ONLY public.desk_users
    ADD CONSTRAINT desk_users_pkey PRIMARY KEY (username);
ALTER TABLE ONLY public.desk_messages
    ADD CONSTRAINT uq_desk_message_client_id UNIQUE (conversation_id, client_id);
CREATE INDEX ix_desk_conversations_state ON public.desk_conversations USING btree (state);
CREATE INDEX ix_desk_messages_conversation_id ON public.desk_messages USING btree (conversation_id);
CREATE INDEX ix_desk_messages_created_at ON public.desk_messages USING btree (created_at);
CREATE TABLE public.training_flags (
    id integer NOT NULL,
    text text NOT NULL,
    conversation_id character varying(64),
    flagged_by character varying(100),
    note text,
    created_at double precision NOT NULL,
    resolved boolean NOT NULL
);
CREATE SEQUENCE public.training_flags_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.training_flags_id_seq OWNED BY public.training_flags.id;
ALTER TABLE ONLY public.training_flags ALTER COLUMN id SET DEFAULT nextval('public.training_flags_id_seq'::regclass);
ALTER TABLE ONLY public.training_flags ADD CONSTRAINT training_flags_pkey PRIMARY KEY (id);
