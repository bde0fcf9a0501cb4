"""The ticket behind a bot conversation and the case summary an agent reads.

A ticket is opened as soon as the bot acts on the shop or hands off, so the
customer always gets a number; its ``key_info`` carries everything the bot
learned, so the agent never has to ask again.
"""

from __future__ import annotations

from yiwen.auth.audit import Actor
from yiwen.bot import replies
from yiwen.bot.turn import Turn
from yiwen.tickets import service as tickets
from yiwen.tickets.models import Ticket
from yiwen.tickets.taxonomy import CATEGORIES

INTENT_WANTS = {
    "delivery_missing": "尽快收到卡密/充值",
    "card_invalid": "更换可用卡密或退款",
    "refund_request": "退款",
    "refund_status": "了解退款进度",
    "order_status": "了解订单状态",
    "payment_issue": "处理支付问题（重复扣款/支付失败）",
    "account_security": "保护账户安全、追回损失",
    "balance_issue": "核实余额/提现",
    "promo_issue": "补发优惠/活动奖励",
    "bulk_purchase": "批量采购/代理合作",
    "how_to_use": "了解使用方法",
    "presale": "售前咨询",
    "human_agent": "人工客服",
    "complaint": "投诉处理",
    "ticket_progress": "了解工单进度",
}
FACT_LABELS = (
    ("order_no", "订单号"),
    ("amount", "金额"),
    ("time", "时间"),
    ("payment_method", "支付方式"),
    ("contact", "联系方式"),
    ("card_key", "卡密（顾客提供）"),
    ("ticket_no", "提到的工单号"),
)
# What the bot found out itself, copied into the summary when known.
ORDER_FACTS = (
    "order_status",
    "order_amount",
    "order_paid_at",
    "order_payment_method",
    "other_order_nos",
    "card_key_state",
    "card_key_states",
    "region_problem",
    "shop_user_id",
    "shop_owner_tasks",  # what the shop's system cannot do from outside: a human must
)


def category_for(intent: str | None) -> str:
    return intent if intent in CATEGORIES else "other"


def ensure_ticket(turn: Turn, intent: str | None) -> Ticket:
    """The conversation's case ticket, opened (by the bot) on first need."""
    if turn.session.ticket_id:
        existing = turn.db.get(Ticket, turn.session.ticket_id)
        if existing is not None:
            return existing
    order_no = turn.fact("order_no")
    category = category_for(intent)
    subject = CATEGORIES[category][0] + (f"：{order_no}" if order_no else "")
    ticket = tickets.open_ticket(
        turn.db,
        turn.clock,
        tickets.NewTicket(
            customer_id=turn.customer.id,
            channel=turn.conversation.channel,
            category=category,
            subject=subject,
            description=turn.text,
            conversation_id=turn.conversation.id,
            contact=next(iter(turn.contacts()), None),
            key_info=key_facts(turn, intent),
            order_nos=[order_no] if order_no else [],
        ),
        actor=Actor.bot(),
        prefix=turn.settings.ticket_number_prefix,
    )
    turn.session.ticket_id = ticket.id
    return ticket


def key_facts(turn: Turn, intent: str | None, *, reason: str | None = None) -> dict[str, object]:
    """The structured case summary (ticket.key_info): who, which order, what was done, wants."""
    facts = turn.facts
    info: dict[str, object] = {
        "source": "bot",
        "customer": turn.customer.display_name or turn.customer.id,
        "contacts": turn.contacts(),
        "shop_user_ids": turn.shop_user_ids(),
        "intent": intent,
        "wants": facts.get("wants") or INTENT_WANTS.get(intent or "", "咨询"),
        "bot_did": turn.fact_list("done"),
    }
    for name, _label in FACT_LABELS:
        if facts.get(name):
            info[name] = facts[name]
    for name in ORDER_FACTS:
        if facts.get(name):
            info[name] = facts[name]
    if reason:
        info["handoff_reason"] = reason
    return info


def summary_text(info: dict[str, object]) -> str:
    """The same summary as a note an agent reads at a glance."""
    lines = ["【机器人交接摘要】"]
    lines.append(f"顾客：{info.get('customer')}；联系方式：{_join(info.get('contacts'))}")
    if info.get("shop_user_ids"):
        lines.append(f"店铺账号：{_join(info.get('shop_user_ids'))}")
    order_bits = [f"{label}：{info[name]}" for name, label in FACT_LABELS if info.get(name)]
    if info.get("order_status"):
        status = str(info["order_status"])
        order_bits.append(f"订单状态：{replies.ORDER_STATUS_LABELS.get(status, status)}")
    if info.get("order_amount"):
        order_bits.append(f"订单金额：{info['order_amount']} 元")
    if info.get("order_paid_at"):
        order_bits.append(f"付款时间：{info['order_paid_at']}")
    if info.get("order_payment_method"):
        order_bits.append(f"支付方式：{info['order_payment_method']}")
    if info.get("card_key_states") or info.get("card_key_state"):
        order_bits.append(
            f"卡密状态：{_join(info.get('card_key_states') or info.get('card_key_state'))}"
        )
    if info.get("region_problem"):
        order_bits.append(f"区服问题：{info['region_problem']}")
    lines.append("；".join(order_bits) if order_bits else "订单：未提供")
    did = info.get("bot_did")
    lines.append(f"机器人已做：{_join(did) if did else '仅问答，未操作'}")
    lines.append(f"顾客诉求：{info.get('wants')}")
    for task in _as_list(info.get("shop_owner_tasks")):
        lines.append(f"需要店主处理：{task}")
    if info.get("handoff_reason"):
        lines.append(f"转人工原因：{info['handoff_reason']}")
    return "\n".join(lines)


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _join(value: object) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "-"
    return str(value) if value else "-"
