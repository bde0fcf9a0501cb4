"""Uploads: type from content, size limit, nothing left behind on refusal, owner-only reads."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from yiwen.attachments.models import Attachment
from yiwen.attachments.sniff import sniff_content_type
from yiwen.core.db import Database
from yiwen.core.settings import Settings

BASE = "/api/v1/customer"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    data = client.post(f"{BASE}/conversations", json={}).json()
    return data["conversation"]["id"], {"X-Conversation-Token": data["token"]}


def stored_files(settings: Settings) -> list[Path]:
    root = settings.upload_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(
    client: TestClient,
    conversation_id: str,
    auth: dict[str, str],
    name: str,
    data: bytes,
    content_type: str,
) -> httpx.Response:
    return client.post(
        f"{BASE}/conversations/{conversation_id}/attachments",
        files={"file": (name, io.BytesIO(data), content_type)},
        headers=auth,
    )


def test_an_image_is_stored_by_hash_and_served_to_its_owner_only(
    client: TestClient, settings: Settings
) -> None:
    conversation_id, auth = start(client)
    response = upload(client, conversation_id, auth, "截图.png", PNG, "image/png")
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["content_type"] == "image/png"
    assert attachment["filename"] == "截图.png"
    files = stored_files(settings)
    assert len(files) == 1 and len(files[0].name) == 64

    mine = client.get(f"{BASE}/attachments/{attachment['id']}", headers=auth)
    assert mine.status_code == 200 and mine.content == PNG
    assert mine.headers["x-content-type-options"] == "nosniff"
    _, other_auth = start(client)
    assert (
        client.get(f"{BASE}/attachments/{attachment['id']}", headers=other_auth).status_code == 404
    )


def test_html_dressed_as_png_is_refused_and_nothing_is_kept(
    client: TestClient, settings: Settings, database: Database
) -> None:
    conversation_id, auth = start(client)
    forged = b"<html><script>alert(1)</script></html>"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    for name, data in (("a.png", forged), ("b.svg", svg), ("c.exe", b"MZ\x90\x00\x03\x00")):
        response = upload(client, conversation_id, auth, name, data, "image/png")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "file_type_not_allowed"
    assert stored_files(settings) == []
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Attachment)) == 0


def test_an_upload_over_ten_megabytes_is_refused_and_leaves_no_file(
    client: TestClient, settings: Settings
) -> None:
    conversation_id, auth = start(client)
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    response = upload(client, conversation_id, auth, "big.png", big, "image/png")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert stored_files(settings) == []


def test_a_message_cannot_carry_someone_elses_attachment(client: TestClient) -> None:
    theirs_id, their_auth = start(client)
    attachment = upload(client, theirs_id, their_auth, "x.png", PNG, "image/png").json()
    mine_id, my_auth = start(client)
    response = client.post(
        f"{BASE}/conversations/{mine_id}/messages",
        json={"client_msg_id": "m1", "body": "看图", "attachment_ids": [attachment["id"]]},
        headers=my_auth,
    )
    assert response.status_code == 404


def test_sniffing_accepts_inert_types_only() -> None:
    assert sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_content_type(b"\xff\xd8\xff\xe0JFIF") == "image/jpeg"
    assert sniff_content_type("订单号 K7Q2 卡密无效\n".encode()) == "text/plain"
    assert sniff_content_type(b"  <!DOCTYPE html><p>x") is None
    assert sniff_content_type(b"\x00\x01binary") is None
