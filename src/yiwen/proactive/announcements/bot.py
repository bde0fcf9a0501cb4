"""The bot's side of announcements: say the matching one, and stay quiet on 退订.

Called by the dialogue once the turn's SOP has decided (so the order it looked
up is in the turn's facts). Reads only the cached active list: a turn costs no
query for announcements (yiwen.proactive.announcements.active).
"""

from __future__ import annotations

from yiwen.bot.handoff import post_bot_message
from yiwen.bot.turn import Turn
from yiwen.core.i18n import translate
from yiwen.proactive.announcements.active import ActiveAnnouncement, active_announcements
from yiwen.proactive.announcements.recipients import OPT_IN_WORDS, OPT_OUT_WORDS

# Questions an outage can be the answer to; a greeting or a refund-status question is not.
RELEVANT_GOALS = frozenset(
    {"delivery_missing", "order_status", "card_invalid", "payment_issue", "presale", "how_to_use"}
)
ANNOUNCED = "announced"


def is_notice_preference(text: str) -> bool:
    """退订 / 订阅: handled by the opt-out reaction, not answered by the bot."""
    word = text.strip()
    return word in OPT_OUT_WORDS or word in OPT_IN_WORDS


def announce_if_relevant(turn: Turn) -> None:
    """Post the newest matching announcement, once per conversation."""
    announcements = active_announcements(
        turn.db, turn.clock.now(), ttl_seconds=turn.settings.announcement_cache_seconds
    )
    if not announcements:
        return
    said = set(turn.fact_list(ANNOUNCED))
    for announcement in announcements:
        if announcement.id not in said and _matches(turn, announcement):
            turn.add_to(ANNOUNCED, announcement.id)
            post_bot_message(
                turn,
                translate("announcement.bot", title=announcement.title, body=announcement.body),
            )
            return


def _matches(turn: Turn, announcement: ActiveAnnouncement) -> bool:
    if any(word in turn.text for word in announcement.keywords):
        return True
    order_no = turn.fact("order_no")
    if order_no and order_no in announcement.order_nos:
        return True
    if turn.session.goal not in RELEVANT_GOALS:
        return False
    if announcement.scope == "all":
        return True
    if not order_no:
        return False
    value = announcement.scope_value
    if announcement.scope == "supplier":
        return value == turn.fact("order_supplier")
    if announcement.scope == "product":
        return value == turn.fact("order_product_id")
    return value == turn.fact("order_delivery_type")
