"""``crm-server``: the commands company IT and developers run.

``init`` prepares a data directory (config, database, CA and certificate, backup key, first
admin) and is safe to re-run; ``run`` serves it; ``migrate``, ``create-admin``, ``cert``,
``fingerprint`` and ``recompute-search`` are the maintenance steps of the runbook;
``backup``, ``verify-backup`` and ``restore`` those of backups and disaster recovery;
``publish-client`` offers a client installer to the desktops; ``demo`` builds a seeded
demo and opens the client.
Errors an operator can fix are printed as one sentence that says how, not as a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from crm_server import serve
from crm_server.security import tls
from crm_server.settings import CONFIG_NAME, ENV_PREFIX, Settings, load_settings, write_config

PASSWORD_MIN = 8
PASSWORD_MAX = 128  # what the sign-in request accepts
_HOST_HELP = "name or address clients use (repeatable; default: this machine's names and IPs)"
_PASSWORD_ENV_HELP = "read the password from this environment variable instead of prompting"


class CliError(Exception):
    """An operator error: printed without a traceback, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse reports usage errors (2) and --help (0) this way
        return int(exit_.code or 0)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except (CliError, tls.TlsError, serve.ServeError, PermissionError) as error:
        print(f"crm-server: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:  # unreachable server, wrong password, missing database
        print(f"crm-server: cannot use the database: {error.orig or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-server", description="CRM server administration")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="prepare a data directory (safe to re-run)")
    init.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    init.add_argument(
        "--database-url",
        default=os.environ.get(f"{ENV_PREFIX}DATABASE_URL", ""),
        help=f"PostgreSQL URL (default: ${ENV_PREFIX}DATABASE_URL, else SQLite in DATA_DIR)",
    )
    init.add_argument("--host", action="append", metavar="NAME_OR_IP", help=_HOST_HELP)
    init.add_argument("--bind", default="0.0.0.0", help="listen address (default: %(default)s)")
    init.add_argument("--port", type=int, default=8443, help="HTTPS port (default: %(default)s)")
    init.add_argument("--admin", default="admin", help="first administrator (default: admin)")
    init.add_argument("--admin-password-env", metavar="VAR", help=_PASSWORD_ENV_HELP)
    init.set_defaults(command=_cmd_init)

    _add(commands, "run", "serve HTTPS until stopped", _cmd_run)
    migrate = _add(commands, "migrate", "upgrade the database schema (backed up first)",
                   _cmd_migrate)
    migrate.add_argument("--no-backup", action="store_true",
                         help="skip the automatic backup (one was just taken)")
    admin = _add(commands, "create-admin", "add an administrator", _cmd_create_admin)
    admin.add_argument("username")
    admin.add_argument("--password-env", metavar="VAR", help=_PASSWORD_ENV_HELP)
    cert = _add(commands, "cert", "re-issue the server certificate from the CA", _cmd_cert)
    cert.add_argument("--host", action="append", metavar="NAME_OR_IP", help=_HOST_HELP)
    _add(commands, "fingerprint", "print the CA fingerprint users confirm", _cmd_fingerprint)
    publish = _add(commands, "publish-client", "offer a client installer to the desktops",
                   _cmd_publish_client)
    publish.add_argument("file", type=Path, metavar="FILE",
                         help="crm-client-setup-<version>.exe (or …-unsigned.exe)")

    recompute = _add(commands, "recompute-search",
                     "rebuild the search text of every record of an entity (after a "
                     "cleansing rule changed)", _cmd_recompute_search)
    recompute.add_argument("entity", metavar="ENTITY", help="customer or contact")
    recompute.add_argument("--as", dest="username", metavar="USERNAME",
                           help="the administrator it runs as (default: the first one)")

    export = _add(commands, "export", "write a list of records to .xlsx or .csv",
                  _cmd_export)
    export.add_argument("entity", metavar="ENTITY", help="customer, contact, activity, product")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.add_argument("--format", choices=("xlsx", "csv"),
                        help="default: from the file's extension, else xlsx")
    export.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE",
                        help="as the list's filters (repeat; field.from / field.to for times)")
    export.add_argument("--q", metavar="TEXT", help="search text")
    export.add_argument("--as", dest="username", metavar="USERNAME",
                        help="whose rights it runs with (default: the first administrator)")

    imports = _add(commands, "import", "import a spreadsheet (.xlsx .xls .csv) into records",
                   _cmd_import)
    imports.add_argument("entity", metavar="ENTITY",
                         help="customer, contact, activity, product, user")
    imports.add_argument("file", type=Path, metavar="FILE")
    imports.add_argument("--sheet", metavar="NAME", help="default: the first sheet")
    imports.add_argument("--mapping", metavar="NAME",
                         help="a saved mapping template (default: by the headings)")
    imports.add_argument("--mode", choices=("skip", "update", "create"), default="skip",
                         help="what to do with duplicates (default: skip)")
    imports.add_argument("--all-or-nothing", action="store_true",
                         help="write nothing when any row has an error")
    imports.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    imports.add_argument("--json", action="store_true", help="print the summary as JSON")
    imports.add_argument("--as", dest="username", metavar="USERNAME",
                         help="whose rights it runs with (default: the first administrator)")

    backup = _add(commands, "backup", "back up the database, files and settings now "
                  "(verified after)", _cmd_backup)
    backup.add_argument("--include-tls-keys", action="store_true",
                        help="also the TLS private keys (a restored server keeps its CA)")
    backup.add_argument("--kind", choices=("manual", "pre-upgrade"), default="manual")
    backup.add_argument("--print-path", action="store_true",
                        help="print the archive's path as the last line")
    verify = _add(commands, "verify-backup", "prove a backup readable (and restorable)",
                  _cmd_verify_backup)
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--restore-test", action="store_true",
                        help="also restore it into a scratch database and compare")
    _key_options(verify)
    restore = _add(commands, "restore", "replace everything with a backup (the current state "
                   "is backed up first)", _cmd_restore)
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _key_options(restore)

    demo = commands.add_parser("demo", help="build a demo, start it and open the client")
    demo.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    demo.add_argument("--port", type=int, default=0, help="HTTPS port (default: a free one)")
    demo.add_argument("--smoke", action="store_true", help="offscreen run with a screenshot")
    demo.set_defaults(command=_cmd_demo)
    return parser


def _key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key-file", type=Path, metavar="KEY",
                        help="the backup key (default: the data directory's backup.key)")
    parser.add_argument("--passphrase-env", metavar="VAR",
                        help="read the backup passphrase from this environment variable")


def _add(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_: str,
    command: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """A subcommand working on an existing data directory."""
    parser = commands.add_parser(name, help=help_)
    parser.add_argument("--data-dir", type=Path, help=f"default: ${ENV_PREFIX}DATA_DIR or var/data")
    parser.set_defaults(command=command)
    return parser


def _cmd_init(args: argparse.Namespace) -> int:
    from crm_server.db import migrate
    from crm_server.domains import people

    settings = prepare_data_dir(
        args.data_dir, database_url=args.database_url, host=args.bind, port=args.port
    )
    fresh = migrate.current_revision(settings) is None
    password = read_new_password(args.admin_password_env) if fresh else None
    upgrade_database(settings)
    _ensure_certificate(settings, args.host)
    from crm_server.domains.backups import service

    created = service.ensure_key(settings)
    if created is not None:
        _print_new_key(settings, created)
    if password is None:
        print("The database was already set up: no administrator created (see create-admin).")
    else:
        people.create_admin(settings, args.admin, password)
        print(f"Administrator {args.admin!r} created.")
    _print_next_steps(settings)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    settings = load(args.data_dir)
    require_current_schema(settings)
    serve.run(settings)
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from crm_server.db import migrate

    settings = load(args.data_dir)
    current = migrate.current_revision(settings)
    if not args.no_backup and current is not None and current != migrate.head_revision():
        print(f"The database is at revision {current}; backing it up before migrating …")
        _backup(settings, "pre-upgrade", include_tls_keys=True)
    upgrade_database(settings)
    return 0


def _backup(settings: Settings, kind: str, include_tls_keys: bool) -> Path:
    from crm_common.schemas.backups import BackupKind
    from crm_server.domains.backups import service

    created = service.ensure_key(settings)
    if created is not None:
        _print_new_key(settings, created)
    try:
        made = service.make(settings, BackupKind(kind), include_tls_keys,
                            _progress("Backing up"))
    except service.BackupError as error:
        raise CliError(f"the backup failed: {error}") from None
    print(f"\nBackup {made.name} written and verified ({made.size / 2**20:.1f} MiB) in "
          f"{service.backup_dir(settings)}.")
    path: Path = service.backup_dir(settings) / made.name
    return path


def _progress(what: str) -> Callable[[int, int | None], None]:
    def step(done: int, total: int | None) -> None:
        if sys.stdout.isatty():
            print(f"\r{what}: {done} / {total or '?'} MiB", end="", flush=True)

    return step


def _print_new_key(settings: Settings, printable: str) -> None:
    from crm_server.domains.backups import service

    print(f"\nA backup key was made: {service.key_path(settings)}\n"
          f"  {printable}\n"
          "WARNING: without this key no backup can be restored. Keep a copy OFFLINE now\n"
          "(printed, or on a USB stick in a safe), never only on this server.\n")


def _key_arguments(args: argparse.Namespace) -> tuple[Path | None, str | None]:
    """The key file and passphrase given for an archive (None: the server's own)."""
    passphrase = None
    if args.passphrase_env:
        passphrase = os.environ.get(args.passphrase_env)
        if not passphrase:
            raise CliError(f"environment variable {args.passphrase_env} is not set")
    if args.key_file is not None and not args.key_file.is_file():
        raise CliError(f"{args.key_file}: no such key file")
    return args.key_file, passphrase


def _cmd_backup(args: argparse.Namespace) -> int:
    settings = load(args.data_dir)
    require_current_schema(settings)
    path = _backup(settings, args.kind, args.include_tls_keys)
    if args.print_path:
        print(path.resolve())
    return 0


def _cmd_verify_backup(args: argparse.Namespace) -> int:
    from crm_server.domains.backups import service

    settings = load(args.data_dir)
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file")
    try:
        key_file, passphrase = _key_arguments(args)
        checked = service.verify(settings, args.file, args.restore_test, key_file, passphrase,
                                 step=_progress("Verifying"))
    except service.BackupError as error:
        raise CliError(f"{args.file.name} FAILED verification: {error}") from None
    what = "restored into a scratch database and compared" if args.restore_test else \
        "every chunk authenticated, manifest and SHA-256s checked, dump readable"
    print(f"\n{args.file.name}: OK ({what}; state {checked.state}).")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from crm_server.db import migrate
    from crm_server.domains.backups import service

    settings = load(args.data_dir)
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file")
    key_file, passphrase = _key_arguments(args)
    if not args.yes:
        where = settings.data_dir.resolve()
        print(f"This replaces the database, the files and the settings of {where} with the "
              f"backup {args.file.name}.\nStop the server first (systemctl stop crm-server). "
              "The current state is backed up before anything changes.")
        try:
            answer = input("Type RESTORE to go on: ")
        except EOFError:
            answer = ""
        if answer.strip() != "RESTORE":
            raise CliError("not confirmed; nothing was changed")
    if migrate.current_revision(settings) is not None:
        created = service.ensure_key(settings)
        if created is not None:
            _print_new_key(settings, created)
    try:
        done = service.restore(settings, args.file, key_file, passphrase,
                               step=_progress("Checking the archive"))
    except service.BackupError as error:
        raise CliError(f"the restore was refused: {error}") from None
    print(f"\nRestored {done.name}: {done.tables} tables, {done.files} files.")
    if done.migrated_from:
        print(f"The backup was of revision {done.migrated_from}; migrated to "
              f"{migrate.head_revision()}.")
    if done.safety is not None:
        print(f"The state before the restore is in {done.safety.name}.")
    if args.key_file is not None and args.key_file.resolve() != service.key_path(
            settings).resolve():
        print(f"New backups are made with {service.key_path(settings)}, not with "
              f"{args.key_file}; keep a copy of it offline.")
    print("Start the server: systemctl start crm-server")
    return 0


def _cmd_create_admin(args: argparse.Namespace) -> int:
    from crm_server.domains import people

    settings = load(args.data_dir)
    require_current_schema(settings)
    try:
        people.create_admin(settings, args.username, read_new_password(args.password_env))
    except ValueError as error:  # the name is taken
        raise CliError(str(error)) from None
    print(f"Administrator {args.username!r} created.")
    return 0


def _cmd_cert(args: argparse.Namespace) -> int:
    settings = load(args.data_dir)
    current = settings.path(settings.tls_cert)
    if current.exists() and not tls.is_issued_by_our_ca(settings):
        raise CliError(
            f"{current} was not issued by this server's CA (a company certificate?) and is left "
            "alone; remove it or change tls_cert to issue one from the CA"
        )
    tls.ensure_ca(settings)
    issued = tls.issue_server_certificate(settings, args.host)
    print(f"Issued {issued} for {', '.join(tls.certificate_hosts(issued))}.")
    print(f"CA fingerprint (SHA-256): {tls.ca_fingerprint(settings)}")
    print("Restart the server to use it (systemctl restart crm-server).")
    return 0


def _cmd_fingerprint(args: argparse.Namespace) -> int:
    print(tls.ca_fingerprint(load(args.data_dir)))
    return 0


def _cmd_publish_client(args: argparse.Namespace) -> int:
    from crm_server.domains import client_updates

    settings = load(args.data_dir)
    if not args.file.is_file():
        raise CliError(f"{args.file} is not a file")
    try:
        release = client_updates.publish(settings, args.file)
    except client_updates.InstallerRefused as error:
        raise CliError(f"refused: {error}") from None
    signed = (f"signed by {release.signer_name!r}, certificate SHA-256 "
              f"{release.signer_fingerprint}" if release.signed else "UNSIGNED")
    print(f"Published {release.file_name}: version {release.version}, {signed}.")
    newest = client_updates.newest(settings)
    if newest is not None and newest.file_name != release.file_name:
        print(f"Note: clients are offered {newest.file_name}, whose version is higher or "
              "equal and preferred; remove it to offer this one.")
    else:
        print("Clients are offered it after their next sign-in.")
    return 0


def _cmd_recompute_search(args: argparse.Namespace) -> int:
    from crm_server.domains import recompute

    settings = load(args.data_dir)
    require_current_schema(settings)
    try:
        result = recompute.run_in_console(settings, args.entity, args.username,
                                          lambda line: print(line, flush=True))
    except ValueError as error:
        raise CliError(str(error)) from None
    print(f"Search text rebuilt for {result['records']} {args.entity} records "
          f"({result['changed']} changed).")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from crm_common.errors import ApiError
    from crm_server.domains import export

    settings = load(args.data_dir)
    require_current_schema(settings)
    filters: dict[str, list[str]] = {}
    for given in args.filter:
        name, equals, value = given.partition("=")
        if not equals:
            raise CliError(f"--filter {given!r}: write FIELD=VALUE")
        filters.setdefault(name, []).append(value)
    file_format = args.format or ("csv" if args.out.suffix.lower() == ".csv" else "xlsx")
    try:
        params = export.ExportParams(entity=args.entity, format=file_format,
                                     filters=filters, q=args.q, language="zh_CN")
        rows = export.run_in_console(settings, params, args.out, args.username,
                                     lambda line: print(line, flush=True))
    except ValidationError as error:
        raise CliError(f"{args.entity!r} cannot be exported; one of: "
                       f"{', '.join(export.exportable())}") from error
    except (ValueError, ApiError) as error:
        raise CliError(f"{error} {getattr(error, 'fields', None) or ''}".strip()) from None
    print(f"{rows} {args.entity} records written to {args.out}.")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    import json
    import shutil
    import tempfile
    from collections.abc import Iterator
    from typing import Any

    from crm_common.errors import ApiError
    from crm_common.i18n import translate
    from crm_server.domains.imports import console

    settings = load(args.data_dir)
    require_current_schema(settings)
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file")
    options = {"sheet": args.sheet, "mapping": args.mapping, "mode": args.mode,
               "atomic": args.all_or_nothing, "dry_run": args.dry_run}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:

        def keep(found: Iterator[dict[str, Any]]) -> None:
            """The problems (all of them for --json, the first 50 otherwise) into a spool
            file as they stream in: the summary is printed first, and a million problems are
            never held in memory at once."""
            for count, problem in enumerate(found):
                if not args.json and count >= 50:
                    return
                spool.write((",\n" if count and args.json else "") + (
                    json.dumps(problem, ensure_ascii=False) if args.json else
                    f"row {problem['row']} {problem['field'] or ''}: {problem['verdict']} "
                    f"{problem['message']} ({problem['value'] or ''})\n"))

        try:
            result = console.run_in_console(
                settings, args.entity, args.file, args.username, options,
                (lambda line: None) if args.json else (lambda line: print(line, flush=True)),
                keep)
        except (ValueError, ApiError) as error:
            detail = translate(error.detail, "en") if isinstance(error, ApiError) else str(error)
            raise CliError(f"{detail} {getattr(error, 'fields', None) or ''}".strip()) from None
        spool.seek(0)
        if args.json:
            summary = json.dumps(result, ensure_ascii=False, default=str)
            sys.stdout.write(summary[:-1] + ', "problems": [')
            shutil.copyfileobj(spool, sys.stdout)
            sys.stdout.write("]}\n")
        else:
            counts = result.get("counts", {})
            print(", ".join(f"{name}: {counts.get(name, 0)}"
                            for name in ("new", "update", "skip", "error", "empty")))
            shutil.copyfileobj(spool, sys.stdout)
            if result.get("error"):
                print(result["error"])
    return 1 if result.get("error") else 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from crm_server import demo_launcher

    return demo_launcher.run_demo(args.data_dir, port=args.port, smoke=args.smoke)


def load(data_dir: Path | None, **overrides: object) -> Settings:
    """Settings for a data directory, with configuration mistakes turned into one clear line."""
    try:
        return load_settings(data_dir, **overrides)
    except tomllib.TOMLDecodeError as error:
        where = (
            data_dir or Path(os.environ.get(f"{ENV_PREFIX}DATA_DIR", "var/data"))
        ) / CONFIG_NAME
        raise CliError(f"{where} is not valid TOML: {error}") from None
    except ValidationError as error:
        raise CliError(_describe_invalid(error)) from None


def _describe_invalid(error: ValidationError, source: str | None = None) -> str:
    """One line per problem, naming where the value came from (variable, file or option)."""
    problems = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        variable = f"{ENV_PREFIX}{name.upper()}"
        origin = source or (variable if variable in os.environ else CONFIG_NAME)
        problems.append(f"{name} = {problem['input']!r} (from {origin}): {problem['msg']}")
    return "invalid setting: " + "; ".join(problems)


def prepare_data_dir(data_dir: Path, **config: object) -> Settings:
    """Create the directory and its ``crm.toml`` unless they exist; an existing configuration
    is never rewritten (it may hold the database password and local choices)."""
    data_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    config_path = data_dir / CONFIG_NAME
    if config_path.exists():
        print(f"{config_path} exists and is kept; init options apply only to a new directory.")
    else:
        try:  # check the options before they are written into a file that is then kept
            proposed = Settings.model_validate({**config, "data_dir": data_dir})
        except ValidationError as error:
            raise CliError(_describe_invalid(error, "the command line")) from None
        write_config(proposed, **config)
        config_path.chmod(0o600)  # may contain the database password
        print(f"Wrote {config_path}.")
    return load(data_dir)


def upgrade_database(settings: Settings) -> None:
    from sqlalchemy.engine import make_url

    from crm_server.db import migrate

    before = migrate.current_revision(settings)
    migrate.upgrade(settings)
    after = migrate.current_revision(settings)
    where = make_url(settings.effective_database_url).render_as_string(hide_password=True)
    change = "already current" if before == after else f"upgraded from {before or 'empty'}"
    print(f"Database {where} at revision {after} ({change}).")


def require_current_schema(settings: Settings) -> None:
    """Refuse to serve a database whose schema does not match the code: old code on a newer
    schema, or new code before ``migrate``, would corrupt data or fail at random."""
    from crm_server.db import migrate

    current, head = migrate.current_revision(settings), migrate.head_revision()
    if current is None:
        raise CliError(f"{settings.data_dir} is not initialised: run `crm-server init` first")
    if current != head:
        raise CliError(
            f"the database is at revision {current} but this version needs {head}: back it up, "
            f"then run `crm-server migrate --data-dir {settings.data_dir}`"
        )


def read_new_password(env_name: str | None) -> str:
    """A new administrator password from the named variable, or typed twice at the prompt."""
    if env_name:
        password = os.environ.get(env_name)
        if password is None:
            raise CliError(f"environment variable {env_name} is not set")
    else:
        try:
            password = getpass.getpass("Password for the new administrator: ")
            again = getpass.getpass("Repeat the password: ")
        except EOFError:
            raise CliError("no password given; use a terminal or a password variable") from None
        if again != password:
            raise CliError("the two passwords differ")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise CliError(f"the password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    return password


def _ensure_certificate(settings: Settings, hosts: list[str] | None) -> None:
    cert = settings.path(settings.tls_cert)
    existed = cert.exists()
    tls.ensure_tls(settings, hosts)
    if existed:
        print(f"{cert} exists and is kept (`crm-server cert` re-issues it).")
    else:
        print(f"Issued {cert} for {', '.join(tls.certificate_hosts(cert))}.")


def _print_next_steps(settings: Settings) -> None:
    print(
        f"\nCA fingerprint (SHA-256), give it to users to confirm on first sign-in:\n"
        f"  {tls.ca_fingerprint(settings)}\n"
        f"Start the server:  crm-server run --data-dir {settings.data_dir}\n"
        f"Connect a client:  crm-client --server {serve.public_url(settings)}"
    )


if __name__ == "__main__":
    # Run the copy imported as ``crm_server.cli``: other modules import it under that name, and
    # CliError raised there must be the class ``main`` catches, not a twin from ``__main__``.
    from crm_server.cli import main as package_main

    raise SystemExit(package_main())
