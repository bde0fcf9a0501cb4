"""A throwaway MariaDB server for the dujiaoka connector tests.

Debian's ``mariadb-server`` package provides ``mariadbd`` and
``mariadb-install-db``; each test session initialises its own data directory
(on tmpfs when there is one), starts a server on a free loopback port and a
unix socket as the current user (``--user=root`` when that is root, as in CI),
and removes everything at the end. Durability is off: nothing outlives the run.
A Debian-started instance on port 3306, if any, is never touched.

Run ``python -m tests.support.mariadb`` to print the server binary found
(exit status 1 when there is none).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymysql

READY_TIMEOUT = 60.0
TMPFS = Path("/dev/shm")
SERVER_NAMES = ("mariadbd", "mysqld")
INSTALL_NAMES = ("mariadb-install-db", "mysql_install_db")
SEARCH_DIRS = (Path("/usr/sbin"), Path("/usr/bin"), Path("/usr/local/sbin"), Path("/usr/local/bin"))


def _find(names: tuple[str, ...]) -> Path | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
        for directory in SEARCH_DIRS:
            if (directory / name).is_file():
                return directory / name
    return None


def find_server() -> Path | None:
    """The MariaDB (or MySQL) server binary, if installed."""
    server = _find(SERVER_NAMES)
    return server if server is not None and _find(INSTALL_NAMES) is not None else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MariaDBServer:
    """A private server: ``root`` over the unix socket, any created user over TCP."""

    def __init__(self, home: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.home = home
        self.port = port
        self.socket = str(home / "mysqld.sock")
        self._process = process
        atexit.register(self.stop)

    @classmethod
    def start(cls) -> MariaDBServer:
        server = find_server()
        install = _find(INSTALL_NAMES)
        if server is None or install is None:
            raise RuntimeError(
                "MariaDB is not installed: no mariadbd/mariadb-install-db found. Install it "
                "(Debian/Ubuntu: `apt-get install mariadb-server`; .ci/run does this itself)."
            )
        base = TMPFS if TMPFS.is_dir() and os.access(TMPFS, os.W_OK) else None
        home = Path(tempfile.mkdtemp(prefix="yiwen-mdb-", dir=base))
        user = ["--user=root"] if os.geteuid() == 0 else []
        try:
            result = subprocess.run(
                [str(install), "--no-defaults", f"--datadir={home / 'data'}", *user,
                 "--auth-root-authentication-method=normal", "--skip-test-db",
                 "--skip-name-resolve", "--innodb-buffer-pool-size=32M"],
                cwd=home, capture_output=True, text=True,
            )  # fmt: skip
            if result.returncode != 0:
                raise RuntimeError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")
            for _attempt in range(3):  # another process may take the free port first
                port = _free_port()
                with contextlib.suppress(_PortTaken):
                    return cls._launch(server, home, port, user)
            raise RuntimeError("MariaDB could not bind a free port three times in a row")
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise

    @classmethod
    def _launch(cls, binary: Path, home: Path, port: int, user: list[str]) -> MariaDBServer:
        log_path = home / "server.log"
        command = [
            str(binary), "--no-defaults", f"--datadir={home / 'data'}", *user,
            f"--port={port}", "--bind-address=127.0.0.1", f"--socket={home / 'mysqld.sock'}",
            f"--pid-file={home / 'mysqld.pid'}", f"--log-error={log_path}",
            "--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M", "--sync-binlog=0",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
            "--max-connections=200", "--skip-performance-schema",
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C meant for pytest must not reach the server
        )
        server = cls(home, port, process)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                log = log_path.read_text(errors="replace") if log_path.exists() else ""
                atexit.unregister(server.stop)
                if "Address already in use" in log or "Can't start server" in log:
                    raise _PortTaken(log)
                raise RuntimeError(f"MariaDB exited during start-up; its log:\n{log[-4000:]}")
            try:
                server.admin().close()
                return server
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"MariaDB not ready after {READY_TIMEOUT:.0f}s") from None
                time.sleep(0.1)

    def admin(self, database: str | None = None) -> pymysql.connections.Connection:
        """A root connection over the unix socket, autocommitting."""
        return pymysql.connect(
            unix_socket=self.socket,
            user="root",
            database=database,
            autocommit=True,
            charset="utf8mb4",
            connect_timeout=5,
        )

    def execute(self, *statements: str, database: str | None = None) -> None:
        with contextlib.closing(self.admin(database)) as connection, connection.cursor() as cur:
            for statement in statements:
                cur.execute(statement)

    def url(self, user: str, password: str, database: str) -> str:
        return f"mysql+pymysql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stops the server and deletes its files; safe to repeat."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.home, ignore_errors=True)
        atexit.unregister(self.stop)


class _PortTaken(RuntimeError):
    pass


if __name__ == "__main__":
    found = find_server()
    if found is None:
        sys.exit(1)
    print(found)
