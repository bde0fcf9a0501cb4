"""zh-CN and English texts of the knowledge base's errors."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "kb_article_not_found": (
            "帮助文章不存在或已下线",
            "The help article does not exist or is unpublished",
        ),
        "kb_id_invalid": (
            "文章 ID 只能包含小写字母、数字和连字符，长度 2–64，且以字母或数字开头",
            "An article id is 2–64 lowercase letters, digits and hyphens, starting with a letter or digit",
        ),
        "kb_title_invalid": (
            "标题须为 2–{max} 个字符的单行文字",
            "The title must be one line of 2–{max} characters",
        ),
        "kb_body_invalid": (
            "正文长度须在 {min}–{max} 个字符之间",
            "The body must be {min}–{max} characters long",
        ),
        "kb_html_refused": (
            "正文只支持 Markdown，不能包含 HTML 标签",
            "The body is Markdown only; HTML tags are not accepted",
        ),
        "kb_category_unknown": ("未知的问题分类：{category}", "Unknown category: {category}"),
        "kb_tags_invalid": (
            "标签最多 {max} 个，每个 1–{tag_max} 个字符，且不能包含逗号、方括号或冒号",
            "At most {max} tags of 1–{tag_max} characters, without commas, brackets or colons",
        ),
        "kb_updated_invalid": (
            "更新日期格式应为 YYYY-MM-DD",
            "The updated date must be YYYY-MM-DD",
        ),
        "kb_front_matter_invalid": (
            "文章文件头格式有误",
            "The article's front matter is malformed",
        ),
    }
)
