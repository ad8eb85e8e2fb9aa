"""``crm-server import``: the same upload, dry run or import and report as the wizard's,
from a file on the server's disk, as a user (default: the first administrator)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.errors import BadRequest, NotFound
from crm_common.i18n import N_, translate
from crm_common.schemas.imports import ImportMode, ImportParams
from crm_server.domains.attachments import content_path, store
from crm_server.domains.imports.run import Run, layout, limits, new_batch, spec_for
from crm_server.kit import workbook
from crm_server.kit.unit import console_user
from crm_server.models.imports import ImportBatch, ImportMapping, ImportProblem
from crm_server.security.principal import Principal
from crm_server.settings import Settings


def template_mapping(session: Session, entity: str, name: str,
                     headings: dict[int, str]) -> dict[str, str]:
    """Column index → field by the mapping template ``name``'s headings."""
    template = session.scalars(select(ImportMapping).where(
        ImportMapping.entity == entity, ImportMapping.name == name,
        ImportMapping.deleted_at.is_(None))).first()
    if template is None:
        raise NotFound(N_("No mapping template of this name"))
    by_heading = dict(template.columns)
    return {str(i): by_heading[h] for i, h in headings.items() if h in by_heading}


Problems = Callable[[Iterator[dict[str, Any]]], None]


def run_in_console(settings: Settings, entity: str, source: Path, username: str | None,
                   options: dict[str, Any], say: Callable[[str], None],
                   problems: Problems = lambda found: None) -> dict[str, Any]:
    """Upload ``source``, then dry-run or import it as ``username``; the summary (counts,
    the import's id, an error). ``problems`` is handed every problem (English), streamed
    from the database: a million rows' worth is never held at once."""
    with console_user(settings, username) as (session, user):
        spec_for(user, entity)
        workbook.check_name(source.name)
        with source.open("rb") as handle:
            sha256, size = store(handle, settings, settings.import_max_mb)
        workbook.check_file(content_path(settings, sha256), source.name, limits(settings))
        batch = new_batch(session, user, entity, source.name[:255], sha256, size)
        session.commit()
        result = _run(session, user, settings, batch, options, say)
        columns = (ImportProblem.row, ImportProblem.column, ImportProblem.field,
                   ImportProblem.verdict, ImportProblem.message, ImportProblem.value)
        problems(dict(found._mapping) for found in session.execute(
            select(*columns).where(ImportProblem.import_id == batch.id)
            .order_by(ImportProblem.id).execution_options(yield_per=1000)))
        return result


def _run(session: Session, user: Principal, settings: Settings, batch: ImportBatch,
         options: dict[str, Any], say: Callable[[str], None]) -> dict[str, Any]:
    sheet, header, mapping = options.get("sheet"), None, {}  # by the headings
    if options.get("mapping"):
        found = layout(session, user, settings, batch.id, sheet, None, "en")
        sheet, header = found.sheet, found.header_row
        mapping = template_mapping(session, batch.entity, options["mapping"],
                                   {column.index: column.heading for column in found.columns})
    params = ImportParams(import_id=batch.id, sheet=sheet, header_row=header,
                          mapping=mapping, mode=ImportMode(options.get("mode", "skip")),
                          atomic=bool(options.get("atomic")))

    def progress(done: int, total: int | None = None, commit: bool = True) -> None:
        if commit:
            session.commit()
        say(f"{done} rows")

    try:
        result = Run(session, user, params, write=not options.get("dry_run")).execute(progress)
        failure = None
    except BadRequest as error:  # all or nothing, with errors: nothing was written
        session.rollback()
        session.refresh(batch)
        result, failure = {"import_id": batch.id, "counts": {
            "new": batch.new_rows, "update": batch.updated_rows, "skip": batch.skipped_rows,
            "error": batch.error_rows, "empty": batch.empty_rows}}, translate(error.detail, "en")
    result.pop("preview", None)
    if failure:
        result["error"] = failure
    return result
