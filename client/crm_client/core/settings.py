"""The client's settings, each declared once (name, type, default) and stored by QSettings.

On Windows they live in the registry (``HKCU\\Software\\CRM\\CRM Client``), on Linux in
``~/.config/CRM/CRM Client.conf``. Code reads and writes attributes
(``settings.page_size = 200``); nothing else knows keys or storage formats. Tests pass their
own ``QSettings`` on a temporary INI file.

Next to them, read only, the machine's ``Deployment``: what IT pre-set when it rolled the
client out (the installer's ``/SERVER=`` and ``/CAFINGERPRINT=``), stored machine-wide
(``HKLM\\Software\\CRM\\CRM Client\\deployment`` on Windows, ``/etc/xdg/CRM/CRM Client.conf``
on Linux).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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


_HEX_DIGITS = re.compile(r"[0-9A-F]{64}")
_FINGERPRINT_SEPARATORS = re.compile(r"[\s:-]")


def normalise_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as people copy it (``ab:cd…``, ``ABCD…``, spaced or dashed) in
    the form ``crm_common.tlsinfo.fingerprint`` gives; raises ValueError for anything else."""
    digits = _FINGERPRINT_SEPARATORS.sub("", text).upper()
    if not _HEX_DIGITS.fullmatch(digits):
        raise ValueError(text)
    return ":".join(digits[i : i + 2] for i in range(0, 64, 2))


@dataclass(frozen=True)
class Deployment:
    """What IT pre-set for every user of this machine: the server to offer and the
    fingerprint of the certificate authority to trust without asking (both may be empty)."""

    server: str = ""
    ca_fingerprint: str = ""  # as IT wrote it; see ``trusted_fingerprint``

    GROUP = "deployment"

    @classmethod
    def load(cls, store: QSettings | None = None) -> Deployment:
        """From ``store``, by default the machine-wide settings of the client."""
        if store is None:
            store = QSettings(
                QSettings.Format.NativeFormat, QSettings.Scope.SystemScope, "CRM", "CRM Client"
            )
        values = {
            name: str(store.value(f"{cls.GROUP}/{name}") or "").strip()
            for name in ("server", "ca_fingerprint")
        }
        return cls(**values)

    def trusted_fingerprint(self) -> str | None:
        """The pre-set fingerprint, normalised; None when IT set none. Raises ValueError when
        what IT set is not a SHA-256 fingerprint (the client then refuses to guess)."""
        return normalise_fingerprint(self.ca_fingerprint) if self.ca_fingerprint else None


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

    def __init__(
        self, store: QSettings | None = None, deployment: Deployment | None = None
    ) -> None:
        """``deployment`` defaults to the machine's, or to none when ``store`` is given (a
        test's or a smoke run's own settings)."""
        self._store = store if store is not None else QSettings("CRM", "CRM Client")
        if deployment is None:
            deployment = Deployment.load() if store is None else Deployment()
        self.deployment = deployment

    def initial_server(self) -> str:
        """The server the sign-in dialog offers: the last one used, else IT's pre-set one."""
        if self._store.value(ClientSettings.last_server.key):
            return self.last_server
        return self.deployment.server or DEFAULT_SERVER

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
