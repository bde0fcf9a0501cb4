"""Customer scripts for the simulator: who writes, about which order, in which words.

Written here, apart from the NLU's training data, in the styles real customers
use: vague and short, long and structured, typos, English words, emoji, anger.
Each script names the demo-shop case whose orders it is about and what a
correct bot does (``expect``), which the simulator checks after the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

# Opening lines per problem; {no} is the order number, {amount} {method} {time} known facts.
OPENERS: dict[str, tuple[str, ...]] = {
    "delivery_missing": (
        "订单{no} 付款了卡密没收到",
        "卡没到",
        "我付了钱怎么还没发货？订单号{no}",
        "订单号：{no}，{amount}元，{method}支付，{time}付的款，到现在还没到账",
        "充值一直不到账啊 {no}",
        "买的东西没收到😭",
        "cdk还没发给我，单号{no}",
        "{no} 这单付款半小时了还在处理中",
        "你好，付款成功了但是没有卡密，订单{no}",
        "钱扣了东西没给，{no}",
        "訂單{no}付款了沒收到卡密",
        "等了好久了还没到账，什么情况",
    ),
    "card_invalid": (
        "订单{no}的卡密提示已被使用",
        "卡密无效，兑换不了，订单{no}",
        "{no} 激活失败，说这个码已经用过了",
        "买的卡密用不了！{no}",
        "steam充值卡提示区服不对，订单{no}",
        "兑换的时候显示地区不符 {no}",
        "卡密是坏的，已被使用，我根本没用过",
    ),
    "refund_request": (
        "订单{no}不想等了，申请退款",
        "{no} 一直没到账，给我退款",
        "退钱！订单{no}",
        "我要退款，单号{no}，原路退回就行",
        "这单{no}能退款吗，不要了",
    ),
    "payment_issue": (
        "订单{no}扣了我两次钱",
        "付了一次钱扣了两次，订单{no}",
        "{no} 重复扣款了，请退回多扣的",
        "支付宝显示付款成功了，订单还是待支付，{no}",
        "钱已经扣了，订单显示未支付 {no}",
    ),
    "refund_status": (
        "订单{no}的退款什么时候到账",
        "退款进度怎么样了？{no}",
        "{no} 说退款了但是钱还没收到",
        "我的退款到哪了",
    ),
    "order_status": (
        "帮我查一下订单{no}的状态",
        "查订单 {no}",
        "订单{no}现在什么情况",
    ),
    "account_security": (
        "我的账号被盗了，有人用我的余额乱买东西",
        "账号被人登录了，出现了不是我下的订单",
        "有人盗刷我的账户！快帮我冻结",
    ),
    "how_to_use": (
        "steam充值卡怎么兑换",
        "App Store礼品卡在哪里兑换",
        "买的cdk怎么激活",
        "Q币充值多久到账",
    ),
    "presale": (
        "支持哪些支付方式",
        "可以开发票吗",
        "直充和卡密有什么区别",
        "商品是正规渠道的吗",
    ),
    "human_agent": ("转人工", "我要人工客服", "找个真人跟我说"),
    "complaint": (
        "再不处理我就去12315投诉你们",
        "骗子平台，我要去黑猫投诉",
        "你们这是诈骗，我要报警",
    ),
}
ANGER = ("垃圾平台！！", "搞什么啊，", "急！！！", "😡😡", "气死了，")
THANKS = ("谢谢", "好的谢谢", "收到，感谢", "ok 谢了👍")
CHASERS = ("怎么还没好", "到了吗", "人呢？", "查好了吗")
CHOICE_FOR = {
    "delivery_missing": "1",
    "card_invalid": "2",
    "refund_request": "3",
    "refund_status": "4",
    "order_status": "4",
    "account_security": "5",
}
METHOD_WORDS = {
    "alipay": "支付宝",
    "wechat": "微信",
    "qq_wallet": "QQ钱包",
    "bank_card": "银行卡",
    "balance": "余额",
    "usdt": "USDT",
}


@dataclass(frozen=True)
class Script:
    """One kind of customer contact: the problem, the orders it concerns, the right outcome.

    ``expect`` is one of: repush_or_eta (deliver or tell the ETA, no refund),
    resend (show the key to the verified buyer), escalate_card (hand off as
    card_invalid), refund_order (refund the order), finance (hand off to
    finance, no money), refund_duplicate (refund exactly the duplicate),
    answer (resolve with no shop action), freeze (freeze and hand to security),
    human (hand off), keep_key_hidden (an impostor: no key, no money).
    """

    name: str
    intent: str
    case: str | None
    expect: str
    weight: float
    max_amount: float | None = None
    min_amount: float | None = None
    impostor: bool = False


SCRIPTS: tuple[Script, ...] = (
    Script("push_failed", "delivery_missing", "push_failed", "repush_or_eta", 14),
    Script("never_pushed", "delivery_missing", "paid_not_delivered", "repush_or_eta", 8),
    Script("supplier_slow", "delivery_missing", "push_slow", "repush_or_eta", 7),
    Script("key_not_received", "delivery_missing", "delivered_ok", "resend", 12),
    Script("impostor", "delivery_missing", "delivered_ok", "keep_key_hidden", 2, impostor=True),
    Script("key_used", "card_invalid", "key_used", "escalate_card", 5),
    Script("wrong_region", "card_invalid", "wrong_region", "escalate_card", 3),
    Script("small_refund", "refund_request", "push_failed", "refund_order", 6, max_amount=50),
    Script("large_refund", "refund_request", "paid_not_delivered", "finance", 2, min_amount=50.01),
    Script("charged_twice", "payment_issue", "duplicate_payment", "refund_duplicate", 5),
    Script("callback_missing", "payment_issue", "callback_missing", "finance", 2),
    Script("refund_pending", "refund_status", "refund_pending", "answer", 5),
    Script("refund_done", "refund_status", "refunded", "answer", 3),
    Script("order_lookup", "order_status", "topup_delivered", "answer", 5),
    Script("account_stolen", "account_security", "delivered_ok", "freeze", 2),
    Script("how_to", "how_to_use", None, "answer", 5),
    Script("presale", "presale", None, "answer", 4),
    Script("wants_human", "human_agent", None, "human", 3),
    Script("complaint", "complaint", None, "human", 2),
)
