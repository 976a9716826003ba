"""Staff accounts: role, argon2id password hash, TOTP secret (encrypted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, LargeBinary
from sqlmodel import Field, SQLModel

from urna.core.access import ROLES as ROLE_NAMES
from urna.core.db import UTCDateTime, utcnow

__all__ = ["ROLE_NAMES", "StaffUser"]


class StaffUser(SQLModel, table=True):
    """A person of the BO office, the verification team or the network administration.

    ``session_generation`` is copied into each login session; raising it (disable,
    password or second-factor reset) ends every session of the account at its next
    request. Accounts are disabled, never deleted: the audit log refers to them."""

    __tablename__ = "staff_user"
    __table_args__ = (CheckConstraint("role IN ('admin', 'verifier', 'netadmin')", name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    totp_secret_enc: bytes = Field(sa_type=LargeBinary)
    totp_enrolled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int = Field(default=0, sa_type=BigInteger)
    active: bool = True
    session_generation: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
