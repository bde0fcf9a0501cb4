"""What each role may do, and how much money it may move."""

from __future__ import annotations

from decimal import Decimal
from typing import get_args

import pytest

from yiwen.auth.permissions import (
    ALL_PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLES,
    check_amount_within_limit,
    check_permission,
    permissions_for,
)
from yiwen.auth.schemas import Role
from yiwen.core.errors import ActionNotAllowed
from yiwen.core.i18n import translate
from yiwen.core.settings import Settings


def test_every_role_has_a_permission_set_and_the_api_accepts_exactly_those_roles() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES) == set(get_args(Role))
    assert all(perms <= ALL_PERMISSIONS for perms in ROLE_PERMISSIONS.values())


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        ("agent_l1", "ticket.reply", True),
        ("agent_l1", "order.refund", True),
        ("agent_l1", "card_key.reveal", False),
        ("agent_l1", "account.freeze", False),
        ("agent_l1", "ticket.assign", False),
        ("agent_l1", "audit.read", False),
        ("agent_l2", "card_key.reveal", True),
        ("agent_l2", "ticket.assign", True),
        ("agent_l2", "account.freeze", False),
        ("security", "account.freeze", True),
        ("security", "audit.read", True),
        ("security", "order.refund", False),
        ("finance", "order.refund", True),
        ("finance", "order.repush", False),
        ("agent_l1", "order.repush", True),
        ("supplier_liaison", "order.repush", True),
        ("supplier_liaison", "order.refund", False),
        ("tech", "order.repush", True),
        ("tech", "order.refund", False),
        ("supervisor", "account.freeze", True),
        ("supervisor", "macro.manage", True),
        ("supervisor", "staff.manage", False),
        ("admin", "staff.manage", True),
    ],
)
def test_role_grants(role: str, permission: str, allowed: bool) -> None:
    if allowed:
        check_permission(role, permission)
    else:
        with pytest.raises(ActionNotAllowed) as refused:
            check_permission(role, permission)
        assert refused.value.code == "permission_denied"
        assert refused.value.params == {"permission": permission}


def test_admin_has_every_permission_and_supervisor_all_but_staff_and_retention() -> None:
    assert permissions_for("admin") == ALL_PERMISSIONS
    assert permissions_for("supervisor") == ALL_PERMISSIONS - {"staff.manage", "retention.manage"}


def test_an_unknown_role_grants_nothing() -> None:
    assert permissions_for("root") == frozenset()
    with pytest.raises(ActionNotAllowed):
        check_permission("root", "inbox.read")


@pytest.mark.parametrize(
    ("role", "amount"),
    [("agent_l1", "50"), ("agent_l2", "500"), ("finance", "1000000"), ("admin", "99999.99")],
)
def test_refund_within_the_role_limit_passes(role: str, amount: str) -> None:
    check_amount_within_limit(Settings(), role, "refund", Decimal(amount))


@pytest.mark.parametrize(
    ("role", "amount", "limit"), [("agent_l1", "50.01", "50.00"), ("agent_l2", "500.5", "500.00")]
)
def test_refund_above_agent_limit_is_refused(role: str, amount: str, limit: str) -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        check_amount_within_limit(Settings(), role, "refund", Decimal(amount))
    assert refused.value.code == "refund_above_limit"
    assert refused.value.params["limit"] == limit
    message = translate(refused.value.code, **refused.value.params)
    assert message.startswith(f"退款金额 {Decimal(amount):.2f} 元超出您的权限上限 {limit} 元")


@pytest.mark.parametrize("role", ["tech", "security", "supplier_liaison", "unknown"])
def test_roles_without_refund_authority_are_refused_any_amount(role: str) -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        check_amount_within_limit(Settings(), role, "refund", Decimal("0.01"))
    assert refused.value.code == "refund_not_allowed"


def test_coupon_limits_come_from_their_own_setting() -> None:
    settings = Settings(coupon_limits={"agent_l1": Decimal("5"), "finance": None})
    check_amount_within_limit(settings, "agent_l1", "coupon", Decimal("5"))
    check_amount_within_limit(settings, "finance", "coupon", Decimal("10000"))
    with pytest.raises(ActionNotAllowed) as above:
        check_amount_within_limit(settings, "agent_l1", "coupon", Decimal("6"))
    with pytest.raises(ActionNotAllowed) as absent:
        check_amount_within_limit(settings, "agent_l2", "coupon", Decimal("1"))
    assert above.value.code == "coupon_above_limit"
    assert absent.value.code == "coupon_not_allowed"
    # The refund limits are untouched by the coupon setting.
    check_amount_within_limit(settings, "agent_l2", "refund", Decimal("500"))
