"""Who is asking: the signed-in user as the access rules see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    name: str
    role: str
    department_id: int | None
    session_id: int | None = None
    language: str = "zh_CN"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
