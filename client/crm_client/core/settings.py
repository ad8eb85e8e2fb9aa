"""The client's settings, each declared once (name, type, default) and stored by QSettings.

On Windows they live in the registry (``HKCU\\Software\\CRM\\CRM Client``), on Linux in
``~/.config/CRM/CRM Client.conf``. Code reads and writes attributes
(``settings.page_size = 200``); nothing else knows keys or storage formats. Tests pass their
own ``QSettings`` on a temporary INI file.
"""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar, cast, overload

from PySide6.QtCore import QByteArray, QSettings

T = TypeVar("T")

DEFAULT_SERVER = "https://crm.company.local:8443"
LANGUAGE_CHOICES = ("system", "zh_CN", "en")
PAGE_SIZE_RANGE = (20, 500)


class Setting(Generic[T]):
    """A declared setting; as a class attribute of ``ClientSettings`` it reads and writes
    the store."""

    def __init__(self, key: str, kind: type[T], default: T) -> None:
        self.key = key
        self.kind = kind
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type) -> Setting[T]: ...
    @overload
    def __get__(self, obj: ClientSettings, owner: type) -> T: ...
    def __get__(self, obj: ClientSettings | None, owner: type) -> Setting[T] | T:
        if obj is None:
            return self
        return cast(T, obj.read(self))

    def __set__(self, obj: ClientSettings, value: T) -> None:
        obj.write(self, value)


def _decode(kind: type, raw: Any, default: Any) -> Any:
    if raw is None:
        return json.loads(json.dumps(default)) if kind is dict else default
    if kind is bytes:
        return bytes(raw.data()) if isinstance(raw, QByteArray) else bytes(raw)
    if kind is dict:
        loaded = json.loads(raw) if isinstance(raw, str) and raw else {}
        return loaded if isinstance(loaded, dict) else {}
    if kind is int:
        return int(raw)
    return str(raw)


def _encode(kind: type, value: Any) -> Any:
    if kind is bytes:
        return QByteArray(bytes(value))
    if kind is dict:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


class ClientSettings:
    """Everything the client remembers between runs (never a password)."""

    last_server = Setting("session/last_server", str, DEFAULT_SERVER)
    last_user = Setting("session/last_user", str, "")
    language = Setting("ui/language", str, "system")  # system | zh_CN | en
    page_size = Setting("ui/page_size", int, 100)
    last_page = Setting("ui/last_page", str, "customer")  # navigation key shown at start
    trusted_cas = Setting("tls/trusted_cas", dict, {})  # server URL → CA PEM
    window_geometry = Setting("window/geometry", bytes, b"")
    window_state = Setting("window/state", bytes, b"")

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings("CRM", "CRM Client")

    def read(self, setting: Setting[Any]) -> Any:
        try:
            return _decode(setting.kind, self._store.value(setting.key), setting.default)
        except (TypeError, ValueError):
            return setting.default  # a hand-edited or foreign value: fall back, do not crash

    def write(self, setting: Setting[Any], value: Any) -> None:
        self._store.setValue(setting.key, _encode(setting.kind, value))

    def sync(self) -> None:
        self._store.sync()

    # Column layouts: one QHeaderView.saveState() blob per entity key.
    def column_layout(self, entity_key: str) -> bytes:
        raw = self._store.value(f"columns/{entity_key}")
        return _decode(bytes, raw, b"") if raw is not None else b""

    def set_column_layout(self, entity_key: str, state: bytes) -> None:
        self._store.setValue(f"columns/{entity_key}", QByteArray(bytes(state)))

    # Pinned certificate authorities, keyed by normalised server URL.
    def trusted_ca(self, server_url: str) -> str | None:
        pem = self.trusted_cas.get(server_url)
        return pem if isinstance(pem, str) else None

    def trust(self, server_url: str, ca_pem: str) -> None:
        self.trusted_cas = {**self.trusted_cas, server_url: ca_pem}

    def forget(self, server_url: str) -> None:
        self.trusted_cas = {k: v for k, v in self.trusted_cas.items() if k != server_url}
