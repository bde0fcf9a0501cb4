"""Migrate the peer's database and create what the benchmark drives; prints JSON.

Run with the peer's own interpreter: ``python -m bench.helpdesk_peer.setup_peer``.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.helpdesk_peer.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from helpdesk.models import Queue  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass")
    token = Token.objects.create(user=user)
    queue = Queue.objects.create(title="售后", slug="aftersales", allow_public_submission=True)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    print(json.dumps({"token": token.key, "queue": queue.pk, "session": session.session_key}))


if __name__ == "__main__":
    main()
