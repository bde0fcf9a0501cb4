"""A throwaway Redis server (Debian's redis-server) for the multi-process tests.

It listens on 127.0.0.1 on a free port, keeps nothing on disk, and is stopped
(and its directory removed) when the tests are done.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

READY_TIMEOUT = 20.0
SEARCH = (Path("/usr/bin/redis-server"), Path("/usr/local/bin/redis-server"))


def find_server() -> Path | None:
    found = shutil.which("redis-server")
    if found:
        return Path(found)
    return next((path for path in SEARCH if path.is_file()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(binary: Path, port: int, directory: Path) -> list[str]:
    """Loopback only, nothing kept on disk."""
    return [
        str(binary),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--protected-mode", "yes",
    ]  # fmt: skip


class RedisServer:
    def __init__(self, directory: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.directory = directory
        self.port = port
        self._process = process

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, directory: Path) -> RedisServer:
        binary = find_server()
        if binary is None:
            raise RuntimeError("redis-server is not installed: apt-get install redis-server")
        directory.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        log = (directory / "redis.log").open("wb")
        process = subprocess.Popen(
            _command(binary, port, directory), stdout=log, stderr=subprocess.STDOUT
        )
        server = cls(directory, port, process)
        server.wait_ready()
        return server

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING in time")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port (what a Redis failover looks like to clients)."""
        self.stop()
        binary = find_server()
        assert binary is not None
        log = (self.directory / "redis.log").open("ab")
        self._process = subprocess.Popen(
            _command(binary, self.port, self.directory), stdout=log, stderr=subprocess.STDOUT
        )
        self.wait_ready()
