from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bot.llm.peer import Peer
from tests.support.live import serve


@pytest.fixture
def peer() -> Iterator[tuple[Peer, str]]:
    """The stand-in LLM service and its base URL (``http://127.0.0.1:<port>/v1``)."""
    fake = Peer()
    with serve(fake.app()) as url:
        yield fake, f"{url}/v1"
