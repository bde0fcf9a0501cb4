"""User-facing texts of the workspace."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "order_no_required_for_action": ("该操作需要订单号", "This action needs an order number"),
        "amount_required": ("请填写金额", "An amount is required"),
        "shop_user_required": (
            "该订单没有关联的店铺账户，无法执行此操作",
            "This order has no shop account to act on",
        ),
        "macro_not_found": ("快捷回复不存在", "Macro not found"),
        "action.resend_delivery": (
            "已为您重新发送订单 {order_no} 的卡密，请注意查收",
            "The card keys of order {order_no} were sent again",
        ),
        "action.repush_upstream": (
            "已向上游供应商重新提交订单 {order_no}，到账后会第一时间通知您",
            "Order {order_no} was pushed to the supplier again; we will tell you when it arrives",
        ),
        "action.refund": (
            "订单 {order_no} 已退款 {amount} 元，原路退回（支付宝/微信通常即时到账，银行卡 1-3 个工作日）",
            "Order {order_no} refunded {amount} yuan to the original payment method",
        ),
        "action.issue_coupon": (
            "已为您发放 {amount} 元优惠券，券码 {code}",
            "A coupon of {amount} yuan was issued: {code}",
        ),
        "action.freeze_account": ("账户 {shop_user_id} 已冻结", "Account {shop_user_id} frozen"),
        "action.unfreeze_account": (
            "账户 {shop_user_id} 已解冻",
            "Account {shop_user_id} unfrozen",
        ),
        "action.replace_card_key": (
            "已为订单 {order_no} 更换一张新卡密，请查收；原卡密已作废",
            "Order {order_no} got a new card key in place of the dead one",
        ),
        "key_id_required_for_action": (
            "请指定要更换的卡密（key_id）",
            "Name the card key to replace (key_id)",
        ),
        "action_not_supported": (
            "当前店铺系统不支持「{label}」，一问不会执行此操作。需要店主人工处理：{task}",
            "The connected shop cannot do {action} from outside; the shop owner must: {task}",
        ),
        "action.card_key_revealed": (
            "查看了订单 {order_no} 的卡密 {masked}",
            "Revealed card key {masked} of order {order_no}",
        ),
    }
)
