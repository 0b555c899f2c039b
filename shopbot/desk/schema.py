"""The desk's tables: chats, every message, agents and their sessions, trainers' flags, after-sales cases,
unpaid-order reminders.

The shape of the database is declared here and nowhere else; `shopbot.desk.migrations`
brings a database to it, and `shopbot.desk.store` holds the SQL that reads and writes it.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

conversations = sa.Table(
    "desk_conversations", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("account", sa.String(100)),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(50)),
    sa.Column("priority", sa.String(10)),
    sa.Column("summary", sa.Text),
    sa.Column("agent", sa.String(100)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("waiting_since", sa.Float),
    sa.Column("updated_at", sa.Float, nullable=False),
    # The agents' queue and their open chats are read by state on every console refresh.
    sa.Index("ix_desk_conversations_state", "state"),
)

messages = sa.Table(
    "desk_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("sender", sa.String(10), nullable=False),  # buyer / bot / agent / system
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("payload", sa.Text),  # buttons, images, custom payloads (JSON)
    sa.Column("client_id", sa.String(64)),  # the widget's id for a buyer's line: a resend is found by it
    sa.Column("author", sa.String(100)),  # the agent who wrote it
    sa.Column("created_at", sa.Float, nullable=False),
    # A buyer's line only: the desk replica that took it, so the recovery sweep can tell a
    # line whose desk died from one a live desk may still be answering.
    sa.Column("desk", sa.String(100)),
    sa.UniqueConstraint("conversation_id", "client_id", name="uq_desk_message_client_id"),
    # The recovery sweep reads recent messages by age.
    sa.Index("ix_desk_messages_created_at", "created_at"),
)

users = sa.Table(
    "desk_users", metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    # What buyers see of an agent ("小鲜为您服务"); never the login name, which opens the console.
    sa.Column("nickname", sa.String(32)),
)

sessions = sa.Table(
    "desk_sessions", metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

training_flags = sa.Table(
    "training_flags", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("conversation_id", sa.String(64)),
    sa.Column("flagged_by", sa.String(100)),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("resolved", sa.Boolean, nullable=False, default=False),
)

aftersale_cases = sa.Table(
    "aftersale_cases", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(64)),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("items", sa.Text, nullable=False, default="[]"),  # JSON: the order's items concerned
    sa.Column("problem", sa.String(30), nullable=False),  # damaged / missing / wrong_item / quality / expired ...
    sa.Column("words", sa.Text, nullable=False, default=""),  # what the buyer said of it
    sa.Column("photos", sa.Text, nullable=False, default="[]"),  # JSON: photo keys (shopbot.desk.photo_store)
    sa.Column("proposal", sa.String(20)),  # what the shop's policy let the bot propose
    sa.Column("urgent", sa.Boolean, nullable=False, default=False),
    sa.Column("state", sa.String(16), nullable=False),  # shopbot.desk.cases.STATES
    sa.Column("resolution", sa.String(20)),  # what an agent approved
    sa.Column("decided_by", sa.String(100)),
    sa.Column("note", sa.Text),  # the agent's reason for a refusal or a change
    sa.Column("return_courier", sa.String(20)),  # the parcel the buyer sends back, as they told the bot
    sa.Column("return_tracking", sa.String(40)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    # The console's 售后 tab lists open cases; a buyer's 我的售后进度 reads theirs.
    sa.Index("ix_aftersale_cases_state", "state"),
    sa.Index("ix_aftersale_cases_account", "account"),
)

order_reminders = sa.Table(
    "order_reminders", metadata,
    # One reminder an order, one a buyer a shop day: the insert itself claims it, so of
    # several desks only one sends (shopbot.desk.reminders).
    sa.Column("order_id", sa.String(32), primary_key=True),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),  # the shop's date it was sent on
    sa.Column("conversation_id", sa.String(64)),
    sa.Column("sent_at", sa.Float, nullable=False),
    sa.UniqueConstraint("account", "day", name="uq_order_reminders_account_day"),
)

reminder_optouts = sa.Table(
    "reminder_optouts", metadata,
    sa.Column("account", sa.String(100), primary_key=True),  # said 不用提醒: never reminded again
    sa.Column("said_at", sa.Float, nullable=False),
)
