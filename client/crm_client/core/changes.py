"""The change bus: after a successful write, open screens showing that entity refresh.

Mutations announce what they changed (``TaskRunner.mutation`` does it for them); lists, the
customer 360 view and the workbench listen. Nothing polls the server for changes it made
itself.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class ChangeBus(QObject):
    """``sig_entity_changed(entity_key, ids)`` — an empty id list means "unknown or many"."""

    sig_entity_changed = Signal(str, list)
