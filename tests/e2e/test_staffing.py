"""The console's staffing page and the portal's service-commitment page in Chromium."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.support.browser import LiveServer, PageFactory, screenshot
from yiwen.auth.audit import Actor
from yiwen.conversations.models import Conversation
from yiwen.customers.service import find_or_create_customer
from yiwen.workforce.history import hour_floor
from yiwen.workforce.shifts import ShiftFields, create_shift
from yiwen.workforce.synthetic import generate_history


def _history_and_shift(server: LiveServer) -> None:
    """Two weeks of contacts (about 6 an hour) and one 8-hour shift from now."""
    now = hour_floor(server.clock.now())
    generated = generate_history(weeks=2, level=6, seed=4)
    start = now - timedelta(hours=len(generated.counts))
    with server.database.transaction() as db:
        customer = find_or_create_customer(db, server.clock, channel="web", external_id="e2e-v")
        for hour, n in enumerate(generated.counts):
            for k in range(int(n)):
                at = start + timedelta(hours=hour, minutes=k)
                db.add(
                    Conversation(
                        customer_id=customer.id,
                        channel="web",
                        status="closed",
                        last_message_at=at,
                        created_at=at,
                        updated_at=at,
                    )
                )
        create_shift(
            db,
            server.clock,
            ShiftFields(server.team.l1.id, now, now + timedelta(hours=8), "早班"),
            actor=Actor.staff(server.team.supervisor),
        )


def test_staffing_page_charts_the_plan_and_lists_gaps_and_shifts(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    _history_and_shift(live_server)
    page = page_factory(viewport=(1440, 900))
    live_server.login(page, live_server.team.supervisor)
    page.goto(live_server.url("/console/staffing"))
    expect(page.locator("[data-test=staffing-inputs]")).to_contain_text("Holt-Winters")
    expect(page.locator("[data-test=staffing-chart] canvas")).to_be_visible()
    expect(page.locator("[data-test=shift-table]")).to_contain_text(
        live_server.team.l1.display_name
    )
    expect(page.locator("[data-test=gap-table]")).to_be_visible()
    expect(page.locator("[data-test=nav-staffing]")).to_be_visible()
    screenshot(page, "staffing-1440")
    page.locator("[data-test=shift-remove]").first.click()
    expect(page.locator("[data-test=shift-table]")).not_to_contain_text(
        live_server.team.l1.display_name
    )


def test_commitment_page_on_a_phone_and_a_desktop(
    live_server: LiveServer, page_factory: PageFactory
) -> None:
    for width, height in ((360, 740), (1440, 900)):
        page = page_factory(viewport=(width, height))
        # Customers find the page from the help center's footer.
        page.goto(live_server.url("/portal/"))
        page.locator("[data-test=nav-commitments]").click()
        expect(page).to_have_url(live_server.url("/portal/commitments"))
        expect(page.locator("[data-test=promise-first_response]")).to_contain_text("30m")
        expect(page.locator("[data-test=promise-delivery_card_key]")).to_be_visible()
        expect(page.locator("[data-test=status-supplier]")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow
        screenshot(page, f"commitments-{width}", full_page=True)
