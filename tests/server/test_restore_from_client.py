"""A restore asked for through the API, for real: ``crm-server run`` as a child process; a
backup job, then a change, then the restore job with the backup's name typed again. The
server stops, restores (after a safety backup) and serves again by itself; the change made
after the backup is gone and the state before the restore is in the safety backup."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import builders
from crm_server import cli
from crm_server.domains.backups import service
from crm_server.settings import load_settings
from databases import fresh_database
from serving import ServerProcess

ADMIN, PASSWORD = "boss", "correct horse 42"


def test_the_server_restores_and_serves_again(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "crm"
    with fresh_database() as url:
        monkeypatch.setenv("ADMIN_PW", PASSWORD)
        assert cli.main(["init", str(data_dir), "--bind", "127.0.0.1", "--admin", ADMIN,
                         "--database-url", url, "--admin-password-env", "ADMIN_PW"]) == 0
        server = ServerProcess(data_dir, ADMIN, PASSWORD)
        try:
            kept = server.client.post("/customers", json=builders.customer()).json()
            job = server.client.post("/jobs", json={"kind": "backup", "params": {}}).json()
            backup = server.wait(job["id"], lambda j: j["state"] == "succeeded")
            name = backup["result"]["name"]
            later = server.client.post("/customers", json=builders.customer()).json()

            refused = server.client.post("/jobs", json={"kind": "backup_restore", "params": {
                "name": name, "confirm": name[:-1]}}).json()
            assert server.wait(refused["id"], lambda j: j["state"] == "failed")
            job = server.client.post("/jobs", json={"kind": "backup_restore", "params": {
                "name": name, "confirm": name}}).json()
            armed = server.wait(job["id"], lambda j: j["state"] == "succeeded")
            assert armed["result"] == {"name": name, "restart": True}
            server.client.close()
            server.client = server.connect()

            deadline = time.monotonic() + 120
            while server.log.read_text().count("Application startup complete") < 2:
                assert time.monotonic() < deadline, server.log.read_text()
                assert server.process.poll() is None, server.log.read_text()
                threading.Event().wait(0.2)
            assert f"Restored {name}" in server.log.read_text()
            token = server.client.post("/auth/login", json={
                "username": ADMIN, "password": PASSWORD}).json()["token"]
            server.client.headers["Authorization"] = f"Bearer {token}"
            assert server.client.get(f"/customers/{kept['id']}").status_code == 200
            assert server.client.get(f"/customers/{later['id']}").status_code == 404
            kinds = [item.kind for item in service.catalogue(load_settings(data_dir))]
            assert "safety" in kinds
        finally:
            server.stop()
