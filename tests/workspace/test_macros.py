"""Macros (快捷回复): managed by supervisors, used by every agent, filled from the ticket and
never evaluated as code."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import StaffTeam
from tests.workspace.conftest import Reported, Reporter, Seats, audit_entries
from yiwen.core.db import Database
from yiwen.store.connectors.demo.shop import ExampleOrder
from yiwen.workspace.models import Macro


def _macro(client: TestClient, seat: Seats, body: str, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/macros",
        json={"title": fields.pop("title", "快捷回复"), "body": body, **fields},
        headers=seat("supervisor"),
    )
    assert response.status_code == 201, response.text
    macro: dict[str, Any] = response.json()
    return macro


def _render(client: TestClient, seat: Seats, macro_id: str, ticket_id: str | None = None) -> str:
    response = client.post(
        f"/api/v1/macros/{macro_id}/render",
        json={"ticket_id": ticket_id} if ticket_id else {},
        headers=seat("l1"),
    )
    assert response.status_code == 200, response.text
    text: str = response.json()["text"]
    return text


def _titles(client: TestClient, seat: Seats, **params: str) -> list[str]:
    response = client.get("/api/v1/macros", params=params, headers=seat("l1"))
    assert response.status_code == 200, response.text
    return [m["title"] for m in response.json()]


def _macro_count(database: Database) -> int:
    with database.reading() as db:
        return db.scalar(select(func.count()).select_from(Macro)) or 0


@pytest.fixture
def named(report: Reporter, cases: dict[str, ExampleOrder]) -> Reported:
    case = cases["push_failed"]
    return report(order_no=case.order_no, contact=case.contact, display_name="王小明")


def test_a_supervisor_creates_macros_that_every_agent_lists_by_category(
    client: TestClient, seat: Seats, team: StaffTeam, database: Database
) -> None:
    general = _macro(client, seat, "您好，请稍等", title="A 问候")
    refund = _macro(client, seat, "退款已原路退回", title="B 退款到账", category="refund_request")
    _macro(client, seat, "请提供截图", title="C 卡密无效", category="card_invalid")
    assert (general["category"], refund["category"], refund["is_active"]) == (
        None,
        "refund_request",
        True,
    )
    assert _titles(client, seat) == ["A 问候", "B 退款到账", "C 卡密无效"]
    assert _titles(client, seat, category="refund_request") == ["A 问候", "B 退款到账"]
    [audit] = audit_entries(database, "macro.create", target_id=refund["id"])
    assert (audit.actor_id, audit.after) == (team.supervisor.id, {"title": "B 退款到账"})


def test_a_macro_is_updated_with_an_audit_of_before_and_after(
    client: TestClient, seat: Seats, team: StaffTeam, database: Database
) -> None:
    macro = _macro(client, seat, "旧的正文", title="旧标题")
    response = client.patch(
        f"/api/v1/macros/{macro['id']}",
        json={"title": "新标题", "body": "新的正文 {order_no}"},
        headers=seat("admin"),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["body"]) == ("新标题", "新的正文 {order_no}")
    assert _titles(client, seat) == ["新标题"]
    [audit] = audit_entries(database, "macro.update", target_id=macro["id"])
    assert audit.actor_id == team.admin.id
    assert audit.before == {"title": "旧标题", "body": "旧的正文"}
    assert audit.after == {"title": "新标题", "body": "新的正文 {order_no}"}


def test_a_deleted_macro_leaves_the_list_and_can_no_longer_be_used(
    client: TestClient, seat: Seats, named: Reported
) -> None:
    macro = _macro(client, seat, "已下线的话术", title="下线")
    deleted = client.patch(
        f"/api/v1/macros/{macro['id']}", json={"is_active": False}, headers=seat("supervisor")
    )
    assert deleted.status_code == 200, deleted.text
    assert _titles(client, seat) == []
    render = client.post(
        f"/api/v1/macros/{macro['id']}/render", json={"ticket_id": named.id}, headers=seat("l1")
    )
    assert render.status_code == 404, render.text
    assert render.json()["error"]["code"] == "macro_not_found"


@pytest.mark.parametrize("field", ["title", "body", "is_active"])
def test_a_required_macro_field_cannot_be_blanked(
    field: str, client: TestClient, seat: Seats, database: Database
) -> None:
    macro = _macro(client, seat, "正文", title="标题")
    response = client.patch(
        f"/api/v1/macros/{macro['id']}", json={field: None}, headers=seat("supervisor")
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert _titles(client, seat) == ["标题"]
    assert not audit_entries(database, "macro.update")


@pytest.mark.parametrize("username", ["l1", "l2", "tech", "finance"])
def test_agents_may_use_but_not_create_or_change_macros(
    username: str, client: TestClient, seat: Seats, database: Database
) -> None:
    macro = _macro(client, seat, "原文", title="原标题")
    created = client.post(
        "/api/v1/macros", json={"title": "私自", "body": "x"}, headers=seat(username)
    )
    changed = client.patch(
        f"/api/v1/macros/{macro['id']}", json={"body": "改掉"}, headers=seat(username)
    )
    for refused in (created, changed):
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "permission_denied"
    assert _macro_count(database) == 1
    assert _render(client, seat, macro["id"]) == "原文"


def test_a_macro_in_an_unknown_category_is_refused(
    client: TestClient, seat: Seats, database: Database
) -> None:
    created = client.post(
        "/api/v1/macros",
        json={"title": "t", "body": "b", "category": "gossip"},
        headers=seat("supervisor"),
    )
    assert created.status_code == 422, created.text
    assert created.json()["error"]["code"] == "unknown_category"
    assert _macro_count(database) == 0


def test_unknown_macros_are_json_404s(client: TestClient, seat: Seats) -> None:
    for response in (
        client.patch(f"/api/v1/macros/{'0' * 32}", json={"title": "x"}, headers=seat("admin")),
        client.post(f"/api/v1/macros/{'0' * 32}/render", json={}, headers=seat("l1")),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "macro_not_found"


def test_rendering_fills_the_tickets_order_customer_and_agent(
    client: TestClient,
    seat: Seats,
    named: Reported,
    team: StaffTeam,
    cases: dict[str, ExampleOrder],
) -> None:
    macro = _macro(
        client,
        seat,
        "{customer_name}您好，我是{agent_name}。您的订单 {order_no}（工单 {ticket_no}，"
        "{category}）正在处理，预计 {due_at} 前完成。",
    )
    text = _render(client, seat, macro["id"], named.id)
    order_no = cases["push_failed"].order_no
    assert text == (
        f"王小明您好，我是{team.l1.display_name}。您的订单 {order_no}（工单 {named.number}，"
        "未收到货（卡密/充值未到账））正在处理，预计 11-22 11:00 前完成。"
    )


def test_rendering_without_a_ticket_fills_only_the_agent(
    client: TestClient, seat: Seats, team: StaffTeam
) -> None:
    macro = _macro(client, seat, "{agent_name} 为您服务，订单号 {order_no}")
    assert (
        _render(client, seat, macro["id"])
        == f"{team.l1.display_name} 为您服务，订单号 {{order_no}}"
    )


def test_a_customer_without_a_name_is_addressed_politely(
    client: TestClient, seat: Seats, report: Reporter
) -> None:
    anonymous = report(category="other", description="问一下", demand="explain")
    macro = _macro(client, seat, "{customer_name}好，订单号：{order_no}。")
    assert _render(client, seat, macro["id"], anonymous.id) == "您好，订单号：。"


@pytest.mark.parametrize(
    "template",
    [
        "{0.__class__}",
        "{order_no.__class__.__mro__}",
        "{ticket_no!r}",
        "{agent_name:>30}",
        "{0}",
        "{__import__('os')}",
        "{{order_no}}",
        "{unknown_variable}",
        "{",
        "}",
        "{}",
    ],
)
def test_unknown_or_format_style_placeholders_are_left_as_written(
    template: str, client: TestClient, seat: Seats, named: Reported
) -> None:
    macro = _macro(client, seat, f"前缀 {template} 后缀")
    text = _render(client, seat, macro["id"], named.id)
    if template == "{{order_no}}":
        # Only the inner {order_no} is a variable; the outer braces stay as text.
        assert text.startswith("前缀 {") and text.endswith("} 后缀")
        assert "class" not in text
    else:
        assert text == f"前缀 {template} 后缀"


def test_values_from_the_customer_are_inserted_as_text_and_never_expanded(
    client: TestClient, seat: Seats, report: Reporter, cases: dict[str, ExampleOrder]
) -> None:
    case = cases["push_failed"]
    sly = report(order_no=case.order_no, display_name="{agent_name}{0.__class__}")
    macro = _macro(client, seat, "{customer_name}您好")
    assert _render(client, seat, macro["id"], sly.id) == "{agent_name}{0.__class__}您好"
