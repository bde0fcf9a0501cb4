"""User-facing texts of staff accounts, sessions and permissions."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "not_logged_in": ("请先登录", "Please log in"),
        "session_invalid": (
            "登录已失效，请重新登录",
            "Your session has expired, please log in again",
        ),
        "csrf_failed": (
            "请求校验失败，请刷新页面后重试",
            "The request could not be verified, please reload the page",
        ),
        "login_failed": ("用户名或密码错误", "Wrong username or password"),
        "login_locked": (
            "登录失败次数过多，请 {minutes} 分钟后再试",
            "Too many failed logins, try again in {minutes} minutes",
        ),
        "permission_denied": (
            "您没有执行此操作的权限（{permission}）",
            "You are not allowed to do this ({permission})",
        ),
        "refund_not_allowed": (
            "您的角色无退款权限，请转交财务或主管处理",
            "Your role may not refund; hand the case to finance or a supervisor",
        ),
        "refund_above_limit": (
            "退款金额 {amount} 元超出您的权限上限 {limit} 元，请转交财务或主管处理",
            "A refund of {amount} yuan is above your limit of {limit} yuan; "
            "hand the case to finance or a supervisor",
        ),
        "coupon_not_allowed": (
            "您的角色无发放优惠券权限，请转交主管处理",
            "Your role may not issue coupons; hand the case to a supervisor",
        ),
        "coupon_above_limit": (
            "优惠券金额 {amount} 元超出您的权限上限 {limit} 元，请转交主管处理",
            "A coupon of {amount} yuan is above your limit of {limit} yuan; "
            "hand the case to a supervisor",
        ),
        "role_unknown": ("未知的角色：{role}", "Unknown role: {role}"),
        "username_invalid": (
            "用户名须为 2–32 位字母、数字、点、下划线或短横线，且以字母或数字开头",
            "A username has 2-32 letters, digits, dots, underscores or dashes "
            "and starts with a letter or digit",
        ),
        "username_taken": ("用户名 {username} 已被使用", "The username {username} is taken"),
        "display_name_invalid": (
            "显示名称须为 1–50 个字符",
            "A display name has 1-50 characters",
        ),
        "email_invalid": ("邮箱地址格式不正确", "The email address is not valid"),
        "password_too_short": (
            "密码至少需要 {min_length} 个字符",
            "A password needs at least {min_length} characters",
        ),
        "password_too_long": (
            "密码不能超过 {max_length} 个字符",
            "A password has at most {max_length} characters",
        ),
        "password_wrong": ("当前密码不正确", "The current password is wrong"),
        "password_unchanged": ("新密码不能与当前密码相同", "The new password must differ"),
        "staff_not_found": ("员工账号不存在", "Staff account not found"),
        "last_admin": (
            "至少需要保留一名启用的管理员",
            "At least one active administrator must remain",
        ),
    }
)
