"""The chat widget in a real browser: bot answers live, reloads, network loss, images, phones.

Every test starts from the demo page the app serves (/widget-demo), which embeds
the widget with the one <script> tag a shop would paste.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import BOT_WAIT, OFFLINE_NOISE, LiveServer, PageFactory, screenshot
from yiwen.conversations.models import Conversation

PHONE = (360, 740)
DESKTOP = (1440, 900)
# Chromium logs refused requests while the network is cut; those are the test's doing.


class ShopSite:
    """Another shop's web server on its own loopback origin, serving one page (set by a test)."""

    def __init__(self) -> None:
        self.page = b""
        self.policy = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", site.policy)
                self.send_header("Content-Length", str(len(site.page)))
                self.end_headers()
                self.wfile.write(site.page)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def shop_site() -> Iterator[ShopSite]:
    site = ShopSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def live_server_options(shop_site: ShopSite) -> dict[str, Any]:
    """Let the other shop's pages embed the widget (see the last test)."""
    return {"widget_allowed_origins": [shop_site.origin]}


def png(width: int = 48, height: int = 32) -> bytes:
    """A real (orange) PNG, so the browser can decode and show it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xff\x8c\x00" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def open_widget(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/widget-demo"))
    page.locator("button.launcher").click()
    expect(page.locator("section.panel")).to_be_visible()


def say(page: Page, text: str) -> None:
    box = page.locator(".composer textarea")
    box.fill(text)
    box.press("Enter")


def stored_session(page: Page) -> dict[str, str]:
    """The conversation the widget keeps in localStorage (id and token)."""
    found: dict[str, str] | None = page.evaluate(
        """() => {
            for (const key of Object.keys(localStorage))
                if (key.startsWith('yiwen.widget:') && key.endsWith(':session'))
                    return JSON.parse(localStorage.getItem(key))
            return null
        }"""
    )
    assert found, "the widget kept no conversation in localStorage"
    return found


def server_messages(server: LiveServer, session: dict[str, str]) -> list[dict[str, Any]]:
    response = httpx.get(
        server.url(f"/api/v1/customer/conversations/{session['conversationId']}/messages"),
        params={"limit": 200},
        headers={"X-Conversation-Token": session["token"]},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def assert_in_server_order(page: Page) -> None:
    """Replies can arrive before the send is confirmed; the chat still reads in order."""
    ids = [
        int(i) for i in page.locator(".msg[data-id]").evaluate_all("l => l.map(e => e.dataset.id)")
    ]
    assert ids == sorted(ids) and len(ids) >= 2, ids


def customer_bubbles(page: Page, text: str) -> Any:
    return page.locator(".msg.mine .bubble", has_text=text)


def test_a_customer_reports_a_missing_card_key_and_sees_the_bots_answer_live(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    case = live_server.demo.example_orders()["delivered_ok"]
    order = live_server.demo.get_order(case.order_no)
    secret = live_server.demo.reveal_card_key(case.order_no, order.delivery.card_keys[0].key_id)
    page = page_factory(viewport=PHONE)
    open_widget(page, live_server)
    panel = page.locator("section.panel")
    assert panel.bounding_box() == {"x": 0, "y": 0, "width": 360, "height": 740}  # full screen
    expect(page.locator(".msg.from-bot .bubble").first).to_contain_text("订单号")  # the welcome

    report = f"订单号 {case.order_no}，下单留的 {case.contact}，付款了卡密没收到"
    say(page, report)
    expect(customer_bubbles(page, report)).to_have_count(1)
    answer = page.locator(".msg.from-bot .bubble", has_text=secret)
    expect(answer).to_be_visible(timeout=BOT_WAIT)
    expect(page.locator(".msg.mine.pending")).to_have_count(0)
    assert_in_server_order(page)
    screenshot(page, "widget-bot-answer-360")

    page.reload()
    expect(panel).to_be_visible()  # it was open: it opens again, with the same conversation
    expect(customer_bubbles(page, report)).to_have_count(1)
    expect(page.locator(".msg.from-bot .bubble", has_text=secret)).to_have_count(1)
    screenshot(page, "widget-after-reload-360")


def test_a_message_sent_while_offline_is_delivered_once_when_the_network_returns(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP, allow=OFFLINE_NOISE)
    open_widget(page, live_server)
    say(page, "你好")
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)  # a bot reply
    session = stored_session(page)

    page.context.set_offline(True)
    expect(page.locator(".banner.net")).to_be_visible()
    say(page, "断网时发的消息：充值没到账")
    expect(page.locator(".msg.mine.pending", has_text="断网时发的消息")).to_be_visible()
    page.wait_for_timeout(1500)
    screenshot(page, "widget-offline-1440")
    assert not any("断网时发的消息" in m["body"] for m in server_messages(live_server, session))

    page.context.set_offline(False)
    expect(page.locator(".msg.mine.pending")).to_have_count(0, timeout=BOT_WAIT)
    expect(page.locator(".banner.net")).to_be_hidden()
    expect(customer_bubbles(page, "断网时发的消息")).to_have_count(1)
    page.wait_for_timeout(1000)  # any duplicate send would have landed by now
    sent = [m for m in server_messages(live_server, session) if "断网时发的消息" in m["body"]]
    assert len(sent) == 1
    # The bot answered it, and the answer arrived live after the reconnection.
    replies = [m for m in server_messages(live_server, session) if m["id"] > sent[0]["id"]]
    assert replies and replies[0]["sender_type"] == "bot"
    expect(page.locator(f'.msg.theirs[data-id="{replies[0]["id"]}"]')).to_be_visible()

    page.reload()
    expect(customer_bubbles(page, "断网时发的消息")).to_have_count(1)


def test_a_message_waiting_in_storage_survives_a_reload_and_is_sent_once(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=PHONE, allow=OFFLINE_NOISE)
    open_widget(page, live_server)
    say(page, "在吗")
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)
    session = stored_session(page)
    page.context.set_offline(True)
    say(page, "刷新前没发出去的消息")
    expect(page.locator(".msg.mine.pending")).to_have_count(1)
    page.context.set_offline(False)
    page.reload()
    expect(customer_bubbles(page, "刷新前没发出去的消息")).to_have_count(1)
    expect(page.locator(".msg.mine.pending")).to_have_count(0, timeout=BOT_WAIT)
    page.wait_for_timeout(1000)
    sent = [m for m in server_messages(live_server, session) if m["body"] == "刷新前没发出去的消息"]
    assert len(sent) == 1


def test_after_the_conversation_is_closed_the_next_message_starts_a_new_one(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    # Chromium logs the refused send (409 conversation_closed) the widget recovers from.
    page = page_factory(viewport=PHONE, allow=[r"status of 409 \(Conflict\)"])
    open_widget(page, live_server)
    say(page, "你好")
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)
    first = stored_session(page)
    with live_server.database.transaction() as db:
        db.get_one(Conversation, first["conversationId"]).status = "closed"

    say(page, "还有一个问题")
    expect(page.locator(".msg.mine[data-id] .bubble", has_text="还有一个问题")).to_be_visible(
        timeout=BOT_WAIT
    )
    second = stored_session(page)
    assert second["conversationId"] != first["conversationId"]
    bodies = [m["body"] for m in server_messages(live_server, second)]
    assert bodies.count("还有一个问题") == 1
    assert "还有一个问题" not in [m["body"] for m in server_messages(live_server, first)]


def test_an_uploaded_image_shows_in_the_chat_and_reaches_the_server(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=DESKTOP)
    open_widget(page, live_server)
    page.locator('.composer input[type="file"]').set_input_files(
        {"name": "卡密截图.png", "mimeType": "image/png", "buffer": png()}
    )
    image = page.locator(".msg.mine[data-id] img.image")
    expect(image).to_be_visible(timeout=BOT_WAIT)
    assert image.evaluate("img => img.naturalWidth") == 48
    session = stored_session(page)
    (sent,) = [m for m in server_messages(live_server, session) if m["attachment_ids"]]
    assert sent["sender_type"] == "customer"

    page.reload()  # after a reload the image is fetched from the server with the token
    reloaded = page.locator(".msg.mine[data-id] img.image")
    expect(reloaded).to_be_visible()
    expect(reloaded).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function(
        "() => document.querySelector('#yiwen-widget').shadowRoot"
        ".querySelector('.msg.mine img.image').naturalWidth === 48"
    )
    screenshot(page, "widget-image-1440")


def test_a_customer_handed_to_a_human_sees_the_queue_and_then_the_agents_reply(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    case = live_server.demo.example_orders()["push_failed"]
    page = page_factory(viewport=PHONE)
    open_widget(page, live_server)
    say(page, f"订单{case.order_no}，微信付的，一直没到账")
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)
    say(page, "转人工")
    banner = page.locator(".banner.queue")
    expect(banner).to_be_visible(timeout=BOT_WAIT)
    expect(banner).to_contain_text(re.compile(r"第 \d+ 位|还有 \d+ 位"))
    screenshot(page, "widget-queue-360")

    session = stored_session(page)
    agent = httpx.Client(base_url=live_server.base_url, timeout=20)
    login = agent.post(
        "/api/v1/auth/login",
        json={"username": live_server.team.l2.username, "password": live_server.password},
    )
    agent.headers["Authorization"] = f"Bearer {login.json()['token']}"
    reply = agent.post(
        f"/api/v1/conversations/{session['conversationId']}/messages",
        json={"body": "您好，我是资深客服小二，正在为您重新推送。"},
    )
    assert reply.status_code == 201, reply.text
    from_agent = page.locator(".msg.from-agent")
    expect(from_agent.locator(".bubble")).to_contain_text("正在为您重新推送")
    expect(from_agent.locator(".who")).to_have_text("资深客服小二")
    expect(banner).to_be_hidden()
    assert_in_server_order(page)
    screenshot(page, "widget-agent-reply-360")


def test_the_widget_works_on_another_shops_page_in_english_under_a_strict_policy(
    live_server: LiveServer, page_factory: PageFactory, shop_site: ShopSite
) -> None:
    base = live_server.base_url
    ws = base.replace("http://", "ws://")
    shop_site.page = f"""<!doctype html><html><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,"><title>Another shop</title></head>
        <body><h1>Another shop</h1>
        <script src="{base}/widget.js" data-yiwen-lang="en" data-yiwen-color="#0a7d48"
                data-yiwen-position="left"></script></body></html>""".encode()
    # No 'unsafe-inline' styles: the widget's CSS must still apply (constructed stylesheet).
    shop_site.policy = (
        f"default-src 'self'; script-src {base}; connect-src {base} {ws}; "
        "img-src 'self' data: blob:; style-src 'self'"
    )
    page = page_factory(viewport=DESKTOP)
    page.goto(f"{shop_site.origin}/shop.html")
    launcher = page.locator("button.launcher")
    expect(launcher).to_have_attribute("aria-label", "Open customer service chat")
    box = launcher.bounding_box()
    assert box is not None and box["x"] < 100 and box["width"] == 56  # styled, on the left
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(10, 125, 72)"
    launcher.click()
    say(page, "hello")
    expect(page.locator(".msg.mine[data-id] .bubble", has_text="hello")).to_be_visible(
        timeout=BOT_WAIT
    )
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)
    assert page.locator(".composer .send").inner_text() == "Send"
    screenshot(page, "widget-other-shop-en-1440")


def test_an_image_chosen_while_offline_is_sent_once_when_the_network_returns(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    page = page_factory(viewport=PHONE, allow=OFFLINE_NOISE)
    open_widget(page, live_server)
    say(page, "你好")
    expect(page.locator(".msg.theirs").nth(1)).to_be_visible(timeout=BOT_WAIT)
    session = stored_session(page)

    page.context.set_offline(True)
    expect(page.locator(".banner.net")).to_be_visible()
    page.locator('.composer input[type="file"]').set_input_files(
        {"name": "断网截图.png", "mimeType": "image/png", "buffer": png(64, 40)}
    )
    waiting = page.locator(".msg.mine.pending img.image")
    expect(waiting).to_be_visible()  # shown at once, from the file itself
    expect(page.locator(".msg.system")).to_have_count(0)  # no "upload failed"
    screenshot(page, "widget-offline-image-360")
    assert not any(m["attachment_ids"] for m in server_messages(live_server, session))

    page.context.set_offline(False)
    expect(page.locator(".msg.mine.pending")).to_have_count(0, timeout=BOT_WAIT)
    sent_image = page.locator(".msg.mine[data-id] img.image")
    expect(sent_image).to_have_count(1)
    page.wait_for_timeout(1000)  # any duplicate send would have landed by now
    with_files = [m for m in server_messages(live_server, session) if m["attachment_ids"]]
    assert len(with_files) == 1 and len(with_files[0]["attachment_ids"]) == 1
    assert with_files[0]["client_msg_id"]

    page.reload()
    expect(page.locator(".msg.mine[data-id] img.image")).to_have_count(1)
    page.wait_for_function(
        "() => document.querySelector('#yiwen-widget').shadowRoot"
        ".querySelector('.msg.mine img.image').naturalWidth === 64"
    )
