"""User-facing texts of routing: errors and what the customer is told about the queue."""

from yiwen.core.i18n import register_messages

register_messages(
    {
        "routing_queue_not_found": ("队列不存在", "Queue not found"),
        "routing_unknown_department": (
            "未知的部门：{department}",
            "Unknown department: {department}",
        ),
        "routing_unknown_tier": ("未知的层级：{tier}", "Unknown tier: {tier}"),
        "routing_unknown_presence": ("未知的在线状态：{presence}", "Unknown presence: {presence}"),
        "routing_agent_not_found": ("客服不存在或不可接待", "No such agent who works tickets"),
        "routing_customer_not_found": ("顾客不存在", "Customer not found"),
        "routing_not_an_agent": (
            "您的角色不接待会话，无法设置在线状态",
            "Your role does not take conversations",
        ),
        "queue.position": (
            "当前排队第{position}位，预计等待约{minutes}分钟",
            "You are number {position} in the queue, about {minutes} min to wait",
        ),
        "queue.next": ("即将为您接入客服", "An agent will be with you in a moment"),
        "queue.promise": (
            "；工单将在{within}内由专人处理",
            "; your ticket will be handled by a person within {within}",
        ),
        "queue.promise_overdue": (
            "；您的工单已超过承诺时间，正在加急处理",
            "; your ticket is past its promised time and is being expedited",
        ),
        "queue.nobody_online": (
            "当前暂无客服在线，工单将在{within}内处理",
            "No agent is online right now; your ticket will be handled within {within}",
        ),
        "queue.nobody_online_no_ticket": (
            "当前暂无客服在线，请留言，客服上线后将第一时间为您处理",
            "No agent is online right now; leave a message and an agent will answer first thing",
        ),
        "queue.assigned": ("客服已接入，正在为您处理", "An agent is handling your conversation"),
        "queue.not_queued": ("当前无需排队", "You are not waiting in a queue"),
        "queue.minutes": ("{n}分钟", "{n} min"),
        "queue.hours": ("{n}小时", "{n} h"),
    }
)
