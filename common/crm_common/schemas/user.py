"""User accounts (用户). Passwords go in on create and never come out."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm_common.i18n import N_
from crm_common.schemas.base import Input, RecordRead
from crm_common.schemas.scalars import Checked


class NewUser(Input):
    """What creating a user takes besides the user's fields: the first password."""

    # The password policy decides more; imported users bring it in a column of this title.
    password: Checked = Field(min_length=1, max_length=128, title=N_("Initial password"))


class UserRead(RecordRead):
    username: str | None = None
    name: str | None = None
    department_id: int | None = None
    department_name: str | None = None
    role_ids: list[int] = Field(default_factory=list)
    role_names: list[str] = Field(default_factory=list)
    email: str | None = None
    mobile: str | None = None
    is_active: bool | None = None
    last_login_at: datetime | None = None
    must_change_password: bool | None = None


class PasswordReset(Input):
    """An administrator sets a new password; the user must change it at next sign-in."""

    password: Checked = Field(min_length=1, max_length=128)


class PasswordChange(Input):
    """A user changes their own password."""

    current_password: Checked = Field(min_length=1, max_length=128)
    new_password: Checked = Field(min_length=1, max_length=128)
