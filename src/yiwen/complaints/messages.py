"""User-facing texts of external complaints (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "complaint_not_found": ("投诉记录不存在", "Complaint not found"),
        "complaint_platform_unknown": (
            "不支持的投诉平台：{platform}（可选 12315、heimao、app_store、other）",
            "Unknown platform: {platform} (12315, heimao, app_store, other)",
        ),
        "complaint_ref_missing": ("缺少投诉编号或链接", "The external reference is missing"),
        "complaint_text_missing": ("缺少投诉内容", "The complaint text is missing"),
        "complaint_deadline_past": (
            "处理期限已过：{deadline}",
            "The external deadline has passed: {deadline}",
        ),
        "complaint_deadline_invalid": (
            "处理期限格式不正确：{value}（示例 2026-11-30 18:00）",
            "Invalid deadline: {value} (e.g. 2026-11-30 18:00)",
        ),
        "complaint_duplicate": (
            "该投诉正在被另一请求登记，请刷新后查看",
            "This complaint is being registered by another request; refresh to see it",
        ),
        "complaint_csv_encoding": (
            "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV",
            "Unreadable file encoding; save the CSV as UTF-8 or GBK",
        ),
        "complaint_csv_header": (
            "CSV 缺少必填列：{columns}",
            "The CSV lacks required columns: {columns}",
        ),
        "complaint_csv_too_large": (
            "CSV 文件过大（最多 {rows} 行、{mb} MB）",
            "The CSV is too large (at most {rows} rows, {mb} MB)",
        ),
        "complaint_csv_invalid_rows": (
            "CSV 有 {count} 行存在错误，未导入任何投诉，请修正后重新上传",
            "{count} CSV rows have errors; nothing was imported, fix them and upload again",
        ),
        "complaint_subject": ("【{platform}】{summary}", "[{platform}] {summary}"),
        "complaint_registered_note": (
            "外部投诉登记：{platform} {ref}",
            "External complaint registered: {platform} {ref}",
        ),
    }
)
