"""Attachments: upload, list on the record, download with the original name, size limit."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import builders

API = "/api/v1"


def test_upload_list_download(api: Any, rep: dict[str, str]) -> None:
    customer = api.post(f"{API}/customers", json=builders.customer(), headers=rep).json()
    content = "技术协议 v2\n".encode() * 100
    response = api.post(f"{API}/attachments", headers=rep,
                        data={"entity": "customer", "record_id": str(customer["id"])},
                        files={"file": ("技术协议.pdf", content, "application/pdf")})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["size"] == len(content) and made["filename"] == "技术协议.pdf"
    listed = api.get(f"{API}/attachments", headers=rep, params={
        "entity": "customer", "record_id": customer["id"]}).json()["items"]
    assert [row["id"] for row in listed] == [made["id"]]
    download = api.get(f"{API}/attachments/{made['id']}/content", headers=rep)
    assert download.content == content
    assert "技术协议.pdf" in unquote(download.headers["content-disposition"])


def test_oversized_upload_is_refused_and_leaves_nothing(api: Any, rep: dict[str, str],
                                                        settings: Any) -> None:
    customer = api.post(f"{API}/customers", json=builders.customer(), headers=rep).json()
    response = api.post(f"{API}/attachments", headers=rep,
                        data={"entity": "customer", "record_id": str(customer["id"])},
                        files={"file": ("big.bin", b"x" * (2 * 1024 * 1024), "application/x")})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    store = settings.path(settings.attachments_dir)
    assert not [p for p in store.rglob("*") if p.name.startswith(".upload-")]


def test_upload_to_missing_record_is_404(api: Any, rep: dict[str, str]) -> None:
    response = api.post(f"{API}/attachments", headers=rep,
                        data={"entity": "customer", "record_id": "987654321"},
                        files={"file": ("a.txt", b"a", "text/plain")})
    assert response.status_code == 404
