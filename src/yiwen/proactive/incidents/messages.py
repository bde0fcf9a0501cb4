"""User-facing texts of incidents (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "incident_not_found": ("事件不存在", "Incident not found"),
        "incident_already_resolved": (
            "该事件已解决，不能再修改",
            "The incident is resolved and cannot change",
        ),
        "incident_status_invalid": (
            "不支持的事件状态：{status}（可选 open、acknowledged、resolved）",
            "Unknown incident status: {status} (open, acknowledged, resolved)",
        ),
        "incident_note_too_long": (
            "备注最多 {limit} 字",
            "The note has at most {limit} characters",
        ),
        "measure_push_failed": ("上游推送失败", "Upstream pushes failing"),
        "measure_push_slow": ("上游推送超时未到账", "Upstream pushes slow"),
        "measure_payment_callback_missing": ("支付回调缺失", "Payment callbacks missing"),
        "measure_card_invalid": ("卡密无效反馈", "Card-invalid reports"),
        "measure_contacts": ("咨询量", "Contact volume"),
        "dimension_all": ("全部", "All"),
        "dimension_supplier": ("供应商", "Supplier"),
        "dimension_product": ("商品", "Product"),
        "dimension_payment_method": ("支付方式", "Payment method"),
        "dimension_region": ("地区", "Region"),
        "dimension_channel": ("渠道", "Channel"),
        "dimension_category": ("问题类型", "Category"),
        "incident_title": (
            "{dimension}「{label}」{measure}异常：{observed} 次/{window} 分钟（平时约 {expected}）",
            "{dimension} '{label}': {measure} abnormal, {observed} in {window} min "
            "(normally about {expected})",
        ),
        "incident_action_push_failed": (
            "联系{label}确认上游故障；必要时暂停该供应商的商品或切换备用上游；"
            "从本事件发布公告，告知受影响的顾客；恢复后重新推送受影响订单。",
            "Ask {label} about the outage; pause its products or switch to a backup supplier; "
            "publish an announcement to the affected customers; re-push the affected orders "
            "once it recovers.",
        ),
        "incident_action_push_slow": (
            "{label}响应变慢：向上游确认是否拥堵，发布「充值延迟，预计 30 分钟内恢复」公告，"
            "恢复后核对仍未到账的订单。",
            "{label} answers slowly: ask the supplier, announce the delay, and check the orders "
            "still not delivered once it recovers.",
        ),
        "incident_action_payment_callback_missing": (
            "支付渠道「{label}」回调缺失：登录商户后台核对已付款订单并补单，检查回调地址与证书。",
            "Payment channel '{label}' sends no callbacks: reconcile paid orders in the merchant "
            "console and check the callback URL and certificates.",
        ),
        "incident_action_card_invalid": (
            "卡密无效反馈激增：暂停相关商品销售，核查最近入库的卡密批次，准备补发或换卡。",
            "Card-invalid reports are rising: pause the products concerned, check the latest "
            "card-key batch, prepare replacements.",
        ),
        "incident_action_contacts": (
            "咨询量激增：查看最近工单的问题类型找出原因，增派客服，必要时发布公告。",
            "Contacts are surging: look at the latest tickets' categories for the cause, add "
            "agents, announce if needed.",
        ),
        "incident_detected_note": (
            "检测到异常：{observed} 次/{window} 分钟，基线 {expected}，z={z}",
            "Anomaly detected: {observed} in {window} min, baseline {expected}, z={z}",
        ),
        "incident_orders_note": (
            "新增受影响订单 {count} 笔",
            "{count} more affected orders",
        ),
        "incident_related_note": (
            "相关指标同时异常：{what}",
            "A related series is abnormal too: {what}",
        ),
        "incident_ended_note": (
            "指标已恢复正常（连续 {minutes} 分钟正常）",
            "Back to normal ({minutes} normal minutes in a row)",
        ),
        "incident_reopened_note": (
            "指标再次异常：{observed} 次/{window} 分钟",
            "Abnormal again: {observed} in {window} min",
        ),
        "incident_acknowledged_note": ("已确认，正在处理", "Acknowledged, being handled"),
        "incident_resolved_note": ("已解决：{note}", "Resolved: {note}"),
        "incident_email_subject": ("【一问告警】{title}", "[Yiwen alert] {title}"),
        "incident_email_body": (
            "{title}\n开始时间：{since}\n受影响订单：{orders} 笔\n建议处理：{action}\n",
            "{title}\nSince: {since}\nAffected orders: {orders}\nSuggested action: {action}\n",
        ),
    }
)
