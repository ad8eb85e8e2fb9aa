"""``crm-server``: argument and configuration errors, certificates, and ``init``/``run`` for real
(a data directory on disk, the server as a child process answering over verified TLS)."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_server import cli
from crm_server.db import migrate
from crm_server.security import tls
from crm_server.settings import Settings

ADMIN_PASSWORD = "correct horse 42"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["serve"], "invalid choice: 'serve'"),
        (["init"], "required: DATA_DIR"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["demo", "--port", "eighty"], "invalid int value: 'eighty'"),
        (["create-admin"], "required: username"),
    ],
)
def test_argument_errors_exit_2_with_usage(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    assert "usage: crm-server" in error
    assert message in error


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    output = capsys.readouterr().out
    for command in ("init", "run", "migrate", "create-admin", "cert", "fingerprint", "demo",
                    "publish-client"):
        assert command in output


def test_settings_come_from_the_file_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "crm.toml").write_text('port = 9443\nlog_level = "warning"\n', "utf-8")
    monkeypatch.setenv("CRM_PORT", "9555")
    settings = cli.load(tmp_path)
    assert (settings.port, settings.log_level, settings.data_dir) == (9555, "warning", tmp_path)


@pytest.mark.parametrize(
    ("config", "environment", "message"),
    [
        ("", {"CRM_PORT": "99999"}, "port = '99999' (from CRM_PORT): Input should be less"),
        ('port = "https"\n', {}, "port = 'https' (from crm.toml): Input should be a valid int"),
        ("colour = 1\n", {}, "colour = 1 (from crm.toml): Extra inputs are not permitted"),
        ("port = \n", {}, "crm.toml is not valid TOML"),
    ],
)
def test_a_bad_setting_is_reported_in_one_line(
    config: str,
    environment: dict[str, str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "crm.toml").write_text(config, "utf-8")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["fingerprint", "--data-dir", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1


def test_init_checks_its_options_before_writing_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["init", str(tmp_path), "--port", "70000"]) == 1
    assert "port = 70000 (from the command line)" in capsys.readouterr().err
    assert not (tmp_path / "crm.toml").exists()


def test_an_unreachable_database_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql+psycopg2://crm:secret@127.0.0.1:{_free_port()}/crm"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    assert cli.main(["run", "--data-dir", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("crm-server: cannot use the database:")
    assert "Traceback" not in error and "secret" not in error


def test_cert_issues_from_the_ca_and_prints_its_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cert", "--data-dir", str(tmp_path), "--host", "crm.example.cn", "--host", "10.0.0.9"]
    assert cli.main(argv) == 0
    settings = Settings(data_dir=tmp_path)
    output = capsys.readouterr().out
    assert tls.ca_fingerprint(settings) in output
    assert tls.certificate_hosts(tmp_path / "tls/server.crt") == ["crm.example.cn", "10.0.0.9"]
    ca = (tmp_path / "tls/ca.crt").read_bytes()
    assert cli.main(["cert", "--data-dir", str(tmp_path), "--host", "crm2.example.cn"]) == 0
    assert (tmp_path / "tls/ca.crt").read_bytes() == ca
    assert tls.certificate_hosts(tmp_path / "tls/server.crt") == ["crm2.example.cn"]


def test_cert_leaves_a_company_certificate_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    company = Settings(data_dir=tmp_path / "company")
    tls.ensure_tls(company, ["crm.corp.example"])
    data = tmp_path / "data"
    data.mkdir()
    (data / "crm.toml").write_text(f'tls_cert = "{company.path(company.tls_cert)}"\n', "utf-8")
    before = company.path(company.tls_cert).read_bytes()
    assert cli.main(["cert", "--data-dir", str(data)]) == 1
    assert "not issued by this server's CA" in capsys.readouterr().err
    assert company.path(company.tls_cert).read_bytes() == before


def test_fingerprint_without_a_ca_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["fingerprint", "--data-dir", str(tmp_path)]) == 1
    assert "run `crm-server cert`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"), [(None, "ADMIN_PW is not set"), ("short", "8 to 128 characters")]
)
def test_admin_password_from_the_environment_is_checked(
    value: str | None, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ADMIN_PW", raising=False)
    if value is not None:
        monkeypatch.setenv("ADMIN_PW", value)
    with pytest.raises(cli.CliError, match=message):
        cli.read_new_password("ADMIN_PW")


def test_a_prompted_password_must_be_typed_twice_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["first password", "second password"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda _prompt: next(answers))
    with pytest.raises(cli.CliError, match="differ"):
        cli.read_new_password(None)


def test_run_refuses_a_directory_that_was_never_initialised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--data-dir", str(tmp_path)]) == 1
    assert "run `crm-server init` first" in capsys.readouterr().err


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory made by ``crm-server init`` (SQLite), shared by the tests below."""
    data_dir = tmp_path_factory.mktemp("init") / "crm"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADMIN_PW", ADMIN_PASSWORD)
        argv = ["init", str(data_dir), "--bind", "127.0.0.1", "--admin", "boss"]
        assert cli.main([*argv, "--admin-password-env", "ADMIN_PW"]) == 0
    yield data_dir


def test_cli_init_end_to_end(initialised: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = cli.load(initialised)
    assert migrate.current_revision(settings) == migrate.head_revision()
    for private in ("crm.toml", "tls/ca.key", "tls/server.key"):
        assert stat.S_IMODE((initialised / private).stat().st_mode) == 0o600
    assert "127.0.0.1" in tls.certificate_hosts(initialised / "tls/server.crt")
    kept = {name: (initialised / name).read_bytes() for name in ("crm.toml", "tls/ca.key")}

    assert cli.main(["init", str(initialised), "--database-url", "sqlite:///elsewhere"]) == 0
    output = capsys.readouterr().out
    assert "exists and is kept" in output and "no administrator created" in output
    assert {name: (initialised / name).read_bytes() for name in kept} == kept
    assert tls.ca_fingerprint(settings) in output


def test_create_admin_refuses_a_taken_name(
    initialised: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADMIN_PW", ADMIN_PASSWORD)
    argv = ["create-admin", "boss", "--data-dir", str(initialised), "--password-env", "ADMIN_PW"]
    assert cli.main(argv) == 1
    assert "already exists" in capsys.readouterr().err


def test_migrate_on_a_current_database_changes_nothing(
    initialised: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate", "--data-dir", str(initialised)]) == 0
    assert "(already current)" in capsys.readouterr().out


def test_run_refuses_a_database_behind_the_code(
    initialised: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(migrate, "head_revision", lambda: "9999_future")
    assert cli.main(["run", "--data-dir", str(initialised)]) == 1
    assert "run `crm-server migrate --data-dir" in capsys.readouterr().err


def test_run_serves_health_over_tls_verified_with_the_ca(initialised: Path) -> None:
    port = _free_port()
    environment = {**os.environ, "CRM_PORT": str(port), "CRM_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "crm_server.cli", "run", "--data-dir", str(initialised)]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert f"https://127.0.0.1:{port}" in banner
        assert tls.ca_fingerprint(Settings(data_dir=initialised)) in banner
        health = _health(port, initialised / "tls/ca.crt")
        assert health["status"] == "ok"
        assert health["migration"] == migrate.head_revision()
    finally:
        server.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM (systemd counts that as clean).
        assert server.wait(15) in {0, -signal.SIGTERM}


def _health(port: int, ca_file: Path) -> dict[str, object]:
    context = ssl.create_default_context(cafile=str(ca_file))
    url = f"https://127.0.0.1:{port}/api/v1/health"
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, context=context, timeout=5) as response:
                return dict(json.load(response))
        except OSError:  # not listening yet
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


def test_an_older_config_with_settings_now_in_the_console_still_loads(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from crm_server.settings import load_settings

    (tmp_path / "crm.toml").write_text('lockout_threshold = 3\nport = 9443\n', "utf-8")
    loaded = load_settings(tmp_path)
    assert loaded.port == 9443 and not hasattr(loaded, "lockout_threshold")
    assert "lockout_threshold" in caplog.text
