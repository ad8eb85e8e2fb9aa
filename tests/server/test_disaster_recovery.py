"""The disaster-recovery drill of deploy_onprem/DISASTER-RECOVERY.md, end to end with the
real commands: a server with data is backed up (with its TLS keys); a fresh machine is
initialised (its own CA, key and empty database); ``crm-server restore`` with the key kept
offline brings back every row, every file, the settings and the CA the clients pinned. Run
on SQLite, and on PostgreSQL in the PostgreSQL suite."""

from __future__ import annotations

import os
from pathlib import Path

from crm_server.demo import seed
from crm_server.domains import attachments
from crm_server.security import tls
from crm_server.settings import Settings, load_settings
from databases import fresh_database
from serving import crm_server_cli
from site_state import stored_files, table_rows

PASSWORD = "Disaster-2026"


def _init(data_dir: Path, url: str) -> Settings:
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_PW": PASSWORD}
    made = crm_server_cli("init", str(data_dir), "--host", "crm.example.cn",
                          "--admin-password-env", "CRM_PW", env=env)
    assert made.returncode == 0, made.stderr
    assert "backup key" in made.stdout.lower() and "offline" in made.stdout.lower()
    return load_settings(data_dir)


def test_a_fresh_machine_is_brought_back_from_an_archive_and_its_key(tmp_path: Path) -> None:
    with fresh_database() as old_url, fresh_database() as new_url:
        old = _init(tmp_path / "old", old_url)
        seed(old)
        with (tmp_path / "drawing.dwg").open("w+b") as drawing:
            drawing.write(os.urandom(300_000))
            drawing.seek(0)
            attachments.store(drawing, old, 10)
        made = crm_server_cli("backup", "--data-dir", str(old.data_dir), "--include-tls-keys",
                              "--print-path")
        assert made.returncode == 0, made.stderr
        archive = Path(made.stdout.strip().splitlines()[-1])
        assert archive.is_file() and "verified" in made.stdout
        checked = crm_server_cli("verify-backup", str(archive), "--restore-test",
                                 "--data-dir", str(old.data_dir))
        assert checked.returncode == 0, checked.stderr

        # the old machine is gone; the archive and the key kept offline are what is left
        kept = tmp_path / "usb"
        kept.mkdir()
        (kept / archive.name).write_bytes(archive.read_bytes())
        (kept / "backup.key").write_bytes((old.data_dir / "backup.key").read_bytes())
        new = _init(tmp_path / "new", new_url)
        assert tls.ca_fingerprint(new) != tls.ca_fingerprint(old)

        unconfirmed = crm_server_cli("restore", str(kept / archive.name), "--key-file",
                                     str(kept / "backup.key"), "--data-dir", str(new.data_dir))
        assert unconfirmed.returncode == 1 and "nothing was changed" in unconfirmed.stderr
        without_key = crm_server_cli("restore", str(kept / archive.name), "--yes",
                                     "--data-dir", str(new.data_dir))
        assert without_key.returncode == 1 and "key" in without_key.stderr
        restored = crm_server_cli("restore", str(kept / archive.name), "--yes",
                                  "--key-file", str(kept / "backup.key"),
                                  "--data-dir", str(new.data_dir))
        assert restored.returncode == 0, restored.stderr
        assert "The state before the restore is in" in restored.stdout

        new = load_settings(new.data_dir)
        assert new.effective_database_url == load_settings(
            tmp_path / "new").effective_database_url  # its own database, not the old one's
        assert table_rows(new) == table_rows(old)
        assert stored_files(new) == stored_files(old)
        assert tls.ca_fingerprint(new) == tls.ca_fingerprint(old)
        tls.server_ssl_context(new)  # the certificate and its key belong together
