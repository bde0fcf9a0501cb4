"""One-time codes: the only way a customer proves an email or a phone by themselves."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.identity.helpers import CODES, request_code, sent_code, widget_customer
from yiwen.core.clock import FixedClock
from yiwen.core.db import Database
from yiwen.customers.models import Identity
from yiwen.identity.models import CustomerMerge, VerificationAttempt


def confirm(client: TestClient, headers: dict[str, str], verification_id: str, code: str):  # type: ignore[no-untyped-def]
    return client.post(f"{CODES}/{verification_id}/confirm", json={"code": code}, headers=headers)


def test_a_returned_code_links_the_email_as_verified_by_code(
    client: TestClient, database: Database
) -> None:
    headers, conversation = widget_customer(client)
    response = client.post(CODES, json={"contact": " Alice@Example.COM "}, headers=headers)
    assert response.status_code == 201, response.text
    started = response.json()
    assert started["channel"] == "email"
    assert started["masked_target"] == "a***@example.com"
    kind, recipient, code = sent_code(database, started["id"])
    assert (kind, recipient) == ("email", "alice@example.com")
    assert len(code) == 6 and code.isdigit()

    linked = confirm(client, headers, started["id"], code)
    assert linked.status_code == 200, linked.text
    assert linked.json() == {"channel": "email", "verified": True, "merged": False}
    with database.reading() as db:
        identity = db.scalar(select(Identity).where(Identity.external_id == "alice@example.com"))
        assert identity is not None and identity.verified
        assert identity.customer_id == conversation["customer_id"]
    # A code works once.
    again = confirm(client, headers, started["id"], code)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "identity_code_used"


def test_a_phone_code_goes_out_as_a_text_message(client: TestClient, database: Database) -> None:
    headers, _ = widget_customer(client)
    verification_id, _code = request_code(client, database, headers, "138-0013-8000")
    kind, recipient, _ = sent_code(database, verification_id)
    assert (kind, recipient) == ("sms", "13800138000")


def test_the_code_is_kept_only_as_a_keyed_hash(client: TestClient, database: Database) -> None:
    headers, _ = widget_customer(client)
    verification_id, code = request_code(client, database, headers, "bob@example.com")
    with database.reading() as db:
        row = db.get(VerificationAttempt, verification_id)
        assert row is not None and row.code_hash
        assert code not in row.code_hash
        import hashlib

        assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()


def test_five_wrong_codes_lock_it_even_for_the_right_one(
    client: TestClient, database: Database
) -> None:
    headers, _ = widget_customer(client)
    verification_id, code = request_code(client, database, headers, "carol@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = confirm(client, headers, verification_id, wrong)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "identity_code_wrong"
        assert str(left) in response.json()["error"]["message"]
    fifth = confirm(client, headers, verification_id, wrong)
    assert fifth.status_code == 409
    assert fifth.json()["error"]["code"] == "identity_code_locked"
    right = confirm(client, headers, verification_id, code)
    assert right.status_code == 409
    with database.reading() as db:
        assert (
            db.scalar(select(Identity).where(Identity.external_id == "carol@example.com")) is None
        )
        row = db.get(VerificationAttempt, verification_id)
        assert row is not None and (row.status, row.attempts) == ("locked", 5)


def test_a_code_expires_after_ten_minutes(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers, _ = widget_customer(client)
    verification_id, code = request_code(client, database, headers, "dave@example.com")
    clock.advance(timedelta(minutes=10))
    response = confirm(client, headers, verification_id, code)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity_code_expired"


def test_only_the_customer_who_asked_can_return_the_code(
    client: TestClient, database: Database
) -> None:
    owner, _ = widget_customer(client)
    other, _ = widget_customer(client)
    verification_id, code = request_code(client, database, owner, "erin@example.com")
    response = confirm(client, other, verification_id, code)
    assert response.status_code == 404
    with database.reading() as db:
        row = db.get(VerificationAttempt, verification_id)
        assert row is not None and (row.status, row.attempts) == ("pending", 0)


def test_codes_are_rate_limited_per_target_and_per_customer(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    headers, _ = widget_customer(client)
    request_code(client, database, headers, "13900139000")
    too_soon = client.post(CODES, json={"contact": "13900139000"}, headers=headers)
    assert too_soon.status_code == 429
    assert too_soon.json()["error"]["code"] == "identity_code_rate_limited"

    # Five an hour to one phone, whoever asks.
    for _ in range(4):
        clock.advance(timedelta(seconds=61))
        other, _ = widget_customer(client)
        request_code(client, database, other, "13900139000")
    clock.advance(timedelta(seconds=61))
    other, _ = widget_customer(client)
    sixth = client.post(CODES, json={"contact": "13900139000"}, headers=other)
    assert sixth.status_code == 429

    # Five an hour from one customer, whatever the targets.
    spray, _ = widget_customer(client)
    for n in range(5):
        request_code(client, database, spray, f"spray{n}@example.com")
    refused = client.post(CODES, json={"contact": "spray9@example.com"}, headers=spray)
    assert refused.status_code == 429
    with database.reading() as db:
        sent = db.scalar(select(func.count()).select_from(VerificationAttempt))
        assert sent == 10


def test_a_contact_that_is_neither_phone_nor_email_is_refused(client: TestClient) -> None:
    headers, _ = widget_customer(client)
    response = client.post(CODES, json={"contact": "not a contact"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_contact"
    assert client.post(CODES, json={"contact": "a@b.cn"}).status_code == 401


def test_a_code_for_an_email_someone_only_claimed_takes_it_without_merging(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """A stranger who typed the owner's email first gains nothing when the owner proves it."""
    claimant, claimant_conv = widget_customer(client, contact="frank@example.com")
    clock.advance(timedelta(minutes=5))
    owner, owner_conv = widget_customer(client)
    verification_id, code = request_code(client, database, owner, "frank@example.com")
    response = confirm(client, owner, verification_id, code)
    assert response.status_code == 200, response.text
    assert response.json()["merged"] is False
    with database.reading() as db:
        assert db.scalar(select(func.count()).select_from(CustomerMerge)) == 0
        identity = db.scalar(select(Identity).where(Identity.external_id == "frank@example.com"))
        assert identity is not None and identity.verified
        assert identity.customer_id == owner_conv["customer_id"]
    theirs = client.get(f"/api/v1/customer/conversations/{claimant_conv['id']}", headers=claimant)
    assert theirs.json()["customer_id"] == claimant_conv["customer_id"]
    assert claimant_conv["customer_id"] != owner_conv["customer_id"]
