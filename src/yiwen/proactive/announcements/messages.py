"""User-facing texts of announcements and notices (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "announcement_not_found": ("公告不存在", "Announcement not found"),
        "announcement_closed": ("公告已结束，不能再执行此操作", "The announcement is closed"),
        "announcement_title_missing": ("请填写公告标题", "The title is missing"),
        "announcement_body_missing": ("请填写公告内容", "The text is missing"),
        "announcement_scope_unknown": (
            "不支持的公告范围：{scope}（可选 all、supplier、product、category）",
            "Unknown scope: {scope} (all, supplier, product, category)",
        ),
        "announcement_scope_value_missing": (
            "范围为供应商/商品/商品类型时，请填写具体的供应商、商品编号或类型",
            "A supplier, product or category scope needs its value",
        ),
        "announcement_category_unknown": (
            "商品类型只能是 card_key（卡密）或 direct_topup（直充）",
            "The category must be card_key or direct_topup",
        ),
        "announcement_ends_before_start": (
            "结束时间必须晚于开始时间",
            "The end must be after the start",
        ),
        "announcement_too_many_orders": (
            "手动指定的订单最多 {limit} 笔",
            "At most {limit} orders may be listed by hand",
        ),
        "announcement_orders_unavailable": (
            "当前店铺对接不支持按供应商/商品查询未发货订单，请手动填写受影响的订单号",
            "The shop connector cannot list open orders; list the affected orders by hand",
        ),
        # What customers read.
        "announcement.notice": (
            "【公告】{title}\n{body}\n受影响订单：{orders}。恢复后我们会自动为您处理并通知您，无需重复下单。"
            "\n（回复“退订”不再接收此类通知）",
            "[Notice] {title}\n{body}\nAffected orders: {orders}. We will handle them once it is "
            "fixed and tell you; no need to order again.\n(Reply 退订 to stop such notices)",
        ),
        "announcement.notice.subject": ("【公告】{title}", "[Notice] {title}"),
        "announcement.fixed": (
            "【恢复通知】{title} 已恢复。{resolution}您的订单 {orders} 已重新提交处理，到账后会通知您；"
            "如仍有问题请直接回复。",
            "[Fixed] {title} is fixed. {resolution}Your orders {orders} were resubmitted; "
            "reply here if anything is still wrong.",
        ),
        "announcement.fixed.subject": ("【恢复通知】{title}", "[Fixed] {title}"),
        "announcement.bot": ("【公告】{title}：{body}", "[Notice] {title}: {body}"),
        "announcement.opted_out": (
            "已为您退订主动通知，之后不再推送公告类消息（订单和工单的处理结果仍会告知）。"
            "回复“订阅”可恢复。",
            "You will get no more proactive notices (replies about your orders and tickets "
            "still come). Reply 订阅 to resume.",
        ),
        "announcement.opted_in": ("已为您恢复主动通知。", "Proactive notices are back on."),
        "announcement.review_subject": (
            "公告恢复后待复核：订单 {order_no}",
            "Review after the announcement closed: order {order_no}",
        ),
    }
)
