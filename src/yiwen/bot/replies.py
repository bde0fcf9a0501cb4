"""What the bot says, in one place, so wording can be reviewed without reading the logic."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from yiwen.core.clock import to_local
from yiwen.store.protocol import OrderSummary

BOT_NAME = "一问智能客服"

GREETING = "您好，我是一问智能客服，7×24 小时在线。请直接描述您的问题，有订单号的话一起发来，我马上帮您查。"  # noqa: E501
THANKS = "不客气，很高兴能帮到您！还有其他问题随时找我。"
THANKS_OPEN = "不客气。您的问题我还在跟进，有进展会第一时间告诉您。"
CLARIFY = (
    "抱歉，我没太理解您的意思。请问您遇到的是哪类问题？"
    "回复数字即可：1. 付款后没收到卡密/充值  2. 卡密无效或已被使用  3. 申请退款  "
    "4. 查询订单或退款进度  5. 账号被盗/异常  6. 转人工客服"
)
CLARIFY_CHOICES = {
    "1": "delivery_missing",
    "2": "card_invalid",
    "3": "refund_request",
    "4": "order_status",
    "5": "account_security",
    "6": "human_agent",
}

ASK_ORDER = "为了帮您查询，请发一下订单号；没有订单号的话，发下单时填写的手机号或邮箱也可以。"
ASK_ORDER_WHICH = "我查到您有这几笔订单：\n{lines}\n请问是哪一笔？回复订单号即可。"
CONFIRM_ORDER = "我查到您的订单 {order_no}（{product}，{amount} 元，{time} 下单），是这一笔吗？回复“是”或“不是”。"  # noqa: E501
ORDER_NOT_FOUND = (
    "没有查到订单号 {order_no}，请核对后重新发送（注意字母和数字），或发下单时填写的手机号/邮箱。"
)
ASK_CONTACT_TO_VERIFY = (
    "为保护您的卡密安全，请发一下订单 {order_no} 下单时填写的手机号或邮箱，核对后我马上补发。"
)
CONTACT_MISMATCH = (
    "您提供的联系方式与订单 {order_no} 的下单信息不一致，请再核对一下下单时填写的手机号或邮箱。"
)

ETA = "订单 {order_no} 已付款，上游供应商正在处理中（已处理约 {waited} 分钟），通常 {eta} 分钟内到账。到账后会自动发到您的下单联系方式，请稍候。"  # noqa: E501
REPUSHED = "订单 {order_no} 上游上次处理失败，我已为您重新提交上游（工单号 {ticket}），通常几分钟内到账。到账后我会在这里通知您。"  # noqa: E501
REPUSH_DONE = "好消息：订单 {order_no} 已到账（工单号 {ticket}）。{keys}如还有问题请直接回复。"
REPUSH_STILL = "订单 {order_no} 上游仍在处理中，我会继续跟进，到账后第一时间通知您。"
RESENT = "已核实您是订单 {order_no} 的购买人，卡密已重新发送（工单号 {ticket}）：\n{keys}\n请尽快使用，切勿泄露给他人。"  # noqa: E501
TOPUP_DONE = (
    "订单 {order_no} 已于 {time} 直充到账户 {account}。如账户内仍未显示，请重新登录游戏/应用查看。"
)
DELIVERED_INFO = "订单 {order_no} 的卡密已于 {time} 发放，可在订单页查看。"
UNPAID = "订单 {order_no} 显示尚未付款成功，没有扣款。如需购买请重新下单支付。"
CANCELLED = "订单 {order_no} 因未支付已自动取消，没有扣款，如需购买请重新下单。"
ALREADY_REFUNDED = "订单 {order_no} 已退款 {amount} 元，{arrival}。"
REFUNDED = (
    "已为订单 {order_no} 办理退款 {amount} 元（退款单号 {reference}，工单号 {ticket}），{arrival}。"
)
DUPLICATE_REFUNDED = (
    "已核实订单 {order_no} 重复扣款 {amount} 元，已将多扣的这笔"
    "退回（退款单号 {reference}，工单号 {ticket}），{arrival}"
    "。订单本身不受影响。"
)
NO_DUPLICATE = "我核对了订单 {order_no} 的支付记录，只有一笔扣款（{amount} 元），没有发现重复扣款。"
FROZEN = "已为您临时冻结账户，防止进一步损失。"
REFUND_STATUS_DONE = "订单 {order_no} 的退款 {amount} 元已办理，{arrival}。"
REFUND_STATUS_PROCESSING = "订单 {order_no} 的退款正在处理中，{arrival}。"
REFUND_STATUS_NONE = (
    "订单 {order_no} 目前没有退款记录，订单状态：{status}。如需退款请告诉我“申请退款”。"
)
ORDER_STATUS = "订单 {order_no}（{product}，{amount} 元）当前状态：{status}。"
TICKET_STATUS = "工单 {number}（{category}）当前状态：{status}。{due}"
TICKET_DUE = "承诺处理时间：{due} 前。"
NO_TICKET = "没有查到您的工单。请发一下工单号（以 {prefix} 开头）。"
KEY_CHECKED = (
    "我核查了订单 {order_no} 的卡密，系统记录状态：{states}，已按高优先级转供应商对接处理。"
)
KEY_STATE_LABELS = {
    "unused": "未使用",
    "used": "已被使用",
    "invalid": "已作废",
    "expired": "已过期",
    "unknown": "未知",
}

HANDOFF = (
    "已为您转接人工客服，工单号 {ticket}。{next_step}您不用重复描述问题，我已把情况整理给同事。"
)
NEXT_STEP = {
    "finance": "财务同事将在 24 小时内审核处理退款，结果会在这里和工单中通知您。",
    "supplier_liaison": "供应商对接专员将在 1 小时内核实处理，核实后为您更换或退款。",
    "security": "账户安全专员会优先处理，请勿再向他人透露验证码。",
    "complaint": "您的投诉已按紧急处理，主管会尽快联系您。",
    "general": "客服会尽快接手，请留意本会话的回复。",
}

ORDER_STATUS_LABELS = {
    "pending_payment": "待支付",
    "paid": "已付款，等待发货",
    "delivering": "发货中（上游处理中）",
    "delivered": "已发货",
    "delivery_failed": "发货失败",
    "refunded": "已退款",
    "partially_refunded": "部分退款",
    "cancelled": "已取消",
}

REFUND_ARRIVAL = {
    "alipay": "原路退回支付宝，通常即时到账，最迟 2 小时",
    "wechat": "原路退回微信支付，通常即时到账，最迟 2 小时",
    "qq_wallet": "原路退回 QQ 钱包，通常即时到账，最迟 2 小时",
    "bank_card": "原路退回银行卡，预计 1-3 个工作日到账",
    "balance": "已即时退回您的店铺余额",
    "usdt": "原路退回 USDT 地址，预计 24 小时内到账",
}


def refund_arrival(method: str | None) -> str:
    return REFUND_ARRIVAL.get(method or "", "将原路退回，到账时间以支付渠道为准")


def local_time(moment: datetime | None) -> str:
    return "-" if moment is None else f"{to_local(moment):%m-%d %H:%M}"


def money(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{amount:.2f}"


def order_line(order: OrderSummary) -> str:
    return (
        f"{order.order_no}（{order.product_name}，{money(order.amount)} 元，"
        f"{local_time(order.created_at)}，{ORDER_STATUS_LABELS.get(order.status, order.status)}）"
    )
