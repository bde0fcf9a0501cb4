"""Reading OneBot v11 events: both message formats give the same customer text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.channels.qq.conftest import SELF_ID, group_event, private_event
from yiwen.channels.qq.events import read_event, split_user_key
from yiwen.channels.qq.segments import parse_cq_string


def test_the_string_and_array_formats_read_alike() -> None:
    string = private_event(1, "[CQ:reply,id=123][CQ:face,id=14]谢谢&amp;辛苦了[CQ:forward,id=abc]")
    array = private_event(
        1,
        [
            {"type": "reply", "data": {"id": "123"}},
            {"type": "face", "data": {"id": "14"}},
            {"type": "text", "data": {"text": "谢谢&辛苦了"}},
            {"type": "forward", "data": {"id": "abc"}},
        ],
    )
    from_string, from_array = read_event(string), read_event(array)
    assert from_string is not None and from_array is not None
    assert from_string.text == from_array.text == "[回复消息] [表情] 谢谢&辛苦了 [合并转发消息]"
    assert from_string.kind == "text"


def test_a_face_alone_is_a_sticker_and_a_voice_is_a_voice() -> None:
    face = read_event(private_event(2, "[CQ:face,id=178]"))
    assert face is not None and (face.kind, face.text) == ("sticker", "[表情]")
    voice = read_event(private_event(3, [{"type": "record", "data": {"file": "a.amr"}}]))
    assert voice is not None and (voice.kind, voice.text) == ("voice", "[语音]")


def test_a_group_message_keeps_the_group_in_the_user_key() -> None:
    message = read_event(group_event(4, f"[CQ:at,qq={SELF_ID}]在吗", group_id=778899))
    assert message is not None
    assert message.user_key == "group:778899:10001"
    assert split_user_key(message.user_key) == ("778899", "10001")
    assert split_user_key("10001") == (None, "10001")
    assert message.display_name == "小王（退款中）"


def test_anonymous_group_messages_are_not_taken() -> None:
    event = {**group_event(5, f"[CQ:at,qq={SELF_ID}]退钱"), "sub_type": "anonymous"}
    assert read_event(event) is None


@given(st.text(max_size=200))
def test_plain_text_survives_cq_escaping(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("[", "&#91;").replace("]", "&#93;")
    joined = "".join(s.get("text") for s in parse_cq_string(escaped) if s.type == "text")
    assert joined == text
