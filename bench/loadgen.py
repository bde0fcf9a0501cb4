"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections on loopback,
requests encoded before the clock starts.

The benchmarks run the load generator on the same two cores as the servers they
measure. httpx spends about 2.5 ms of CPU on each request, as much as the server
under test, so a run with it measures the client as much as the server. This
client writes prepared bytes and reads the answer by its ``Content-Length`` (or
its chunks), which costs a few tens of microseconds; both sides of a comparison
get the same client.

Only what the benchmarks send is supported: requests with or without a JSON body,
answers with ``Content-Length`` or ``Transfer-Encoding: chunked``, and servers that
close a connection (``Connection: close``), after which the client reconnects.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Call:
    """One request: method, path (with its query) and an optional JSON body."""

    method: str
    path: str
    body: object | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, object] | None = None

    def encode(self, host: str, common: Mapping[str, str]) -> bytes:
        target = self.path
        if self.params:
            target += ("&" if "?" in target else "?") + urlencode(self.params)
        lines = [f"{self.method} {target} HTTP/1.1", f"Host: {host}"]
        payload = b""
        if self.body is not None:
            payload = json.dumps(self.body, ensure_ascii=False).encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in {**common, **self.headers}.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> object:
        return json.loads(self.content)


class ProtocolError(RuntimeError):
    pass


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """One answer, and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        content = b"".join(chunks)
    else:
        content = await reader.read()
        return Answer(int(parts[1]), headers, content), False
    keep = headers.get("connection", "").lower() != "close" and parts[0] != "HTTP/1.0"
    return Answer(int(parts[1]), headers, content), keep


@dataclass
class Run:
    """What ``run_calls`` measured."""

    seconds: float
    latencies: list[float]
    answers: list[Answer]

    @property
    def errors(self) -> int:
        return sum(1 for answer in self.answers if answer.status_code >= 400)


async def run_calls(
    base: str,
    calls: Sequence[Call],
    *,
    clients: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Run:
    """Sends ``calls`` over ``clients`` keep-alive connections, each taking the next call
    when its previous answer has arrived; answers come back in the calls' order."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    common = dict(headers or {})
    encoded = [call.encode(url.netloc, common) for call in calls]
    answers: list[Answer | None] = [None] * len(calls)
    latencies: list[float] = []
    next_index = 0

    async def client() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(encoded):
                index = next_index
                next_index += 1
                t0 = time.perf_counter()
                writer.write(encoded[index])
                answer, keep = await asyncio.wait_for(_read_answer(reader), timeout)
                latencies.append(time.perf_counter() - t0)
                answers[index] = answer
                if not keep:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    assert all(answer is not None for answer in answers)
    return Run(elapsed, latencies, [answer for answer in answers if answer is not None])
