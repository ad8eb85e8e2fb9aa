"""Export of a list as the user sees it (issue 10): its filters, search, order and visible
columns, to a file the user picks. The server's "export" job writes the file; a worker
thread waits for it and saves it, so the window stays responsive (the jobs panel shows the
job's progress meanwhile)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from crm_client.api.client import ApiClient
from crm_client.core.i18n import N_, _, current_language
from crm_common.entities import EntitySpec, entity
from crm_common.errors import ApiError
from crm_common.schemas.job import JobRead, JobState

JOB = entity("job")
FORMATS = {"xlsx": N_("Excel workbook (*.xlsx)"), "csv": N_("CSV, UTF-8 (*.csv)")}
NOT_FILTERS = frozenset({"sort", "limit", "q", "after", "deleted", "exact_total"})
POLL_SECONDS = 0.5
ENDED = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list | tuple) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]


def export_params(spec: EntitySpec, list_params: Mapping[str, Any], columns: list[str],
                  file_format: str) -> dict[str, Any]:
    """The export job's parameters for a list queried with ``list_params``."""
    filters = {name: _texts(value) for name, value in list_params.items()
               if name not in NOT_FILTERS}
    return {"entity": spec.key, "format": file_format, "filters": filters,
            "sort": list_params.get("sort"), "q": list_params.get("q"),
            "columns": columns or None, "language": current_language()}


def ask_target(parent: QWidget, spec: EntitySpec) -> tuple[Path, str] | None:
    """The file to write and its format, asked in a save dialog; None when cancelled."""
    labels = {_(label): key for key, label in FORMATS.items()}
    chosen, label = QFileDialog.getSaveFileName(
        parent, _("Export"), _(spec.label_plural), ";;".join(labels))
    if not chosen:
        return None
    file_format = labels.get(label, "xlsx")
    path = Path(chosen)
    return path.with_suffix(f".{file_format}"), file_format


def run_export(api: ApiClient, params: Mapping[str, Any], path: Path) -> Path:
    """Start the export, wait for it and save its file at ``path`` (on a worker thread)."""
    job: JobRead = api.start_job("export", params)
    while job.state not in ENDED:
        time.sleep(POLL_SECONDS)
        job = api.get(JOB, job.id)  # type: ignore[assignment]
    if job.state != JobState.SUCCEEDED:
        raise ApiError(job.error or _("The export did not finish"))
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(api.job_file(job.id))
    partial.replace(path)
    return path
