"""User-facing texts of identity linking (zh-CN first, English second)."""

from __future__ import annotations

from yiwen.core.i18n import register_messages

register_messages(
    {
        "identity_code_subject": ("【一问】验证码", "Your verification code"),
        "identity_code_text": (
            "您的验证码是 {code}，10 分钟内有效。用于关联您在各渠道的客服记录；"
            "如非本人操作，请忽略本消息，切勿告诉他人。",
            "Your code is {code}, valid for 10 minutes. It links your support history "
            "across channels; if you did not ask for it, ignore this message and tell no one.",
        ),
        "identity_code_rate_limited": (
            "验证码发送过于频繁，请 {seconds} 秒后再试",
            "Too many codes requested, please retry in {seconds} seconds",
        ),
        "identity_verification_not_found": ("验证请求不存在", "Verification not found"),
        "identity_code_wrong": (
            "验证码不正确，还可尝试 {left} 次",
            "Wrong code, {left} attempts left",
        ),
        "identity_code_locked": (
            "验证码错误次数过多，请重新获取验证码",
            "Too many wrong codes; request a new one",
        ),
        "identity_code_expired": (
            "验证码已过期，请重新获取",
            "The code has expired; request a new one",
        ),
        "identity_code_used": ("该验证码已使用", "This code was already used"),
        "identity_order_proof_failed": (
            "订单号与下单联系方式不匹配",
            "The order number and the purchase contact do not match",
        ),
        "identity_order_proof_limited": (
            "核对失败次数过多，请 1 小时后再试或联系人工客服",
            "Too many failed checks; retry in an hour or ask an agent",
        ),
        "identity_not_found": ("身份不存在", "Identity not found"),
        "identity_last_one": (
            "这是该顾客唯一的身份，无法解除关联",
            "This is the customer's only identity; it cannot be unlinked",
        ),
    }
)
