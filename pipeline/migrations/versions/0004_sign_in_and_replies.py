"""Passwords, web sessions and one-time sign-in links; agents' replies to reviews.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def _user_ref(table: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column("user_id", sa.Integer, sa.ForeignKey(
        "users.id", ondelete=ondelete, name=f"fk_{table}_user_id_users"), nullable=nullable)


def _token_table(name: str, used_column: str) -> None:
    """Sessions and sign-in links: a user's token, stored as its sha256, with an expiry."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        _user_ref(name),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column(used_column, _TIME),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("token_sha256", name=f"uq_{name}_token_sha256"),
    )
    op.create_index(f"ix_{name}_user_id", name, ["user_id"])


def upgrade() -> None:
    op.create_table(
        "user_passwords",
        _user_ref("user_passwords"),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("changed_at", _TIME, nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("blocked_until", _TIME),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_passwords"),
    )
    _token_table("sessions", "ended_at")
    _token_table("sign_in_links", "used_at")
    op.create_table(
        "review_replies",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey(
            "reviews.id", ondelete="CASCADE", name="fk_review_replies_review_id_reviews"),
            nullable=False),
        _user_ref("review_replies", nullable=True, ondelete="SET NULL"),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_replies"),
    )
    op.create_index("ix_review_replies_review_id_created_at", "review_replies",
                    ["review_id", "created_at"])


def downgrade() -> None:
    for table in ("review_replies", "sign_in_links", "sessions", "user_passwords"):
        op.drop_table(table)
