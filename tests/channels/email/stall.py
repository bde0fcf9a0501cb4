"""A loopback TCP relay in front of Dovecot that holds the client's FETCH commands.

It plays a slow mailbox (a provider under load, a large mail on a thin line)
without touching the protocol: bytes pass unchanged both ways, except that a
line carrying ``FETCH`` waits until the test releases it (or a long fallback
passes, so a broken build fails instead of hanging).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

FALLBACK_SECONDS = 60.0


@dataclass
class StallingRelay:
    target_host: str
    target_port: int
    fetch_seen: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    _listener: socket.socket | None = None

    def start(self) -> StallingRelay:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        self._listener = listener
        self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((self.target_host, self.target_port))
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if from_client and b" FETCH " in chunk.upper():
                    self.fetch_seen.set()
                    self.release.wait(FALLBACK_SECONDS)
                    self.released.set()
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
