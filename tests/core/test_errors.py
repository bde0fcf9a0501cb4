"""Every error the HTTP layer returns is JSON with a code and a readable message."""

from __future__ import annotations

from fastapi.testclient import TestClient

from yiwen.core.i18n import translate


def test_unknown_routes_and_methods_answer_json(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    wrong_method = client.delete("/api/v1/customer/conversations")
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": "请求的资源不存在"}
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_missing_message_parameters_render_empty_instead_of_failing() -> None:
    assert translate("invalid_request") == "请求参数有误："


def test_text_the_database_cannot_store_is_a_4xx_not_a_500(client: TestClient) -> None:
    """PostgreSQL refuses NUL characters; found by the schemathesis run on login."""
    response = client.post("/api/v1/auth/login", json={"username": "a\u0000b", "password": "x"})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"]
