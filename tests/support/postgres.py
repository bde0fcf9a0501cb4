"""A throwaway PostgreSQL server for the test suite.

Each test run gets its own cluster, listening only on 127.0.0.1 on a free port,
with durability switched off because nothing in it outlives the run; its log
stays in the directory the caller gives. Tests get a fresh database per test by
copying a migrated template (``CREATE DATABASE … TEMPLATE``), which is much
faster than migrating each one.

The cluster's files go to tmpfs (/dev/shm) when it has room: on an ordinary
disk, creating a database from a template costs 5-10 times as much even with
fsync off. ``YIWEN_TEST_PG_TMPFS=0`` keeps them in the given directory.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the
server runs as the ``postgres`` system user, or as ``yiwen-pg`` created for the
purpose when no ``postgres`` user exists.

Run ``python -m tests.support.postgres`` to print the binaries directory found
(exit status 1 when there is none).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
FALLBACK_OS_USER = "yiwen-pg"
READY_TIMEOUT = 60.0
TMPFS = Path("/dev/shm")
# A copy of the migrated template is ~10 MB and a test run makes one per test.
TMPFS_MIN_FREE = 8 * 2**30
TMPFS_PREFIX = "yiwen-pg-"
# A unix socket path must fit in sun_path (108 bytes on Linux, NUL included).
SOCKET_PATH_LIMIT = 107

# Nothing in a test cluster must survive a crash, so every write-ahead and
# flush guarantee is traded for speed.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    # Test databases live for seconds; a vacuum worker would only compete for the two cores.
    "autovacuum": "off",
    "max_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
    "timezone": "UTC",
}


def find_bindir() -> Path | None:
    """The newest PostgreSQL binaries directory on this machine, if any."""
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if candidates:
        return max(candidates, key=lambda bindir: _version_key(bindir.parent.name))
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        bindir = Path(result.stdout.strip())
        if result.returncode == 0 and (bindir / "initdb").is_file():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


@dataclass(frozen=True)
class _OsUser:
    """Whom the server processes run as; ``None`` ids mean the current user."""

    uid: int | None
    gid: int | None

    @classmethod
    def unprivileged(cls) -> _OsUser:
        if os.geteuid() != 0:
            return cls(None, None)
        for name in (SUPERUSER, FALLBACK_OS_USER):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls(entry.pw_uid, entry.pw_gid)
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", FALLBACK_OS_USER],
            check=True,
        )  # fmt: skip
        entry = pwd.getpwnam(FALLBACK_OS_USER)
        return cls(entry.pw_uid, entry.pw_gid)

    def give(self, path: Path) -> None:
        """Hand ``path`` to this user and let it reach ``path`` through its ancestors."""
        if self.uid is None or self.gid is None:
            return
        os.chown(path, self.uid, self.gid)
        for ancestor in path.resolve().parents:
            mode = ancestor.stat().st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(ancestor, stat.S_IMODE(mode) | stat.S_IXOTH)

    @property
    def extra_groups(self) -> list[int] | None:
        """Root's supplementary groups are dropped along with its uid."""
        return None if self.uid is None else []

    def run(self, command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=cwd,
            env=_server_env(),
            capture_output=True,
            text=True,
            user=self.uid,
            group=self.gid,
            extra_groups=self.extra_groups,
        )


def _server_env() -> dict[str, str]:
    # PG* variables (PGDATA, PGPORT…) from the developer's shell must not steer the test server.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_MESSAGES"] = "C"
    return env


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A pre-exec hook that makes the server quit (SIGQUIT = immediate) if the test run dies.

    atexit covers normal exits and exceptions; this covers SIGKILL and CI timeouts.
    Linux delivers the signal when the *thread* that started the child ends, so the
    hook is only used from the main thread.
    """
    on_linux = sys.platform.startswith("linux")
    if not on_linux or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGQUIT)

    return hook


def _cluster_home(directory: Path) -> Path:
    """Where data/ and the socket go: a fresh tmpfs directory if it has room, else ``directory``."""
    if os.environ.get("YIWEN_TEST_PG_TMPFS") == "0" or not TMPFS.is_dir():
        return directory
    free = os.statvfs(TMPFS)
    if free.f_bavail * free.f_frsize < TMPFS_MIN_FREE:
        return directory
    _remove_abandoned_homes()
    return Path(tempfile.mkdtemp(prefix=f"{TMPFS_PREFIX}{os.getpid()}-", dir=TMPFS))


def _remove_abandoned_homes() -> None:
    """Frees the memory of clusters whose test run was killed before it could clean up."""
    for home in TMPFS.glob(f"{TMPFS_PREFIX}*-*"):
        owner = home.name.removeprefix(TMPFS_PREFIX).split("-")[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        with contextlib.suppress(OSError, ValueError):
            if _alive(int((home / "data" / "postmaster.pid").read_text().split()[0])):
                continue
        shutil.rmtree(home, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL cluster: its log in ``directory``, its files in ``home``."""

    def __init__(
        self, directory: Path, home: Path, port: int, process: subprocess.Popen[bytes]
    ) -> None:
        self.directory = directory
        self.home = home
        self.port = port
        self._process = process
        atexit.register(self.stop)

    @classmethod
    def start(cls, directory: Path) -> PostgresServer:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin, pg_config or initdb "
                "found. Install it (Debian/Ubuntu: `apt-get install postgresql`), or run only "
                "the SQLite tests (unset YIWEN_TEST_DB)."
            )
        directory = directory.resolve()
        if (directory / "data").exists():
            raise RuntimeError(f"{directory}/data exists; PostgresServer.start needs a fresh one")
        directory.mkdir(parents=True, exist_ok=True)
        home = _cluster_home(directory)
        user = _OsUser.unprivileged()
        try:
            user.give(home)
            _initdb(bindir, home / "data", user)
            for _attempt in range(3):  # another process may take the free port before we bind it
                with contextlib.suppress(_PortTaken):
                    return cls._launch(bindir, directory, home, user, _free_port())
            raise RuntimeError("PostgreSQL could not bind a free port three times in a row")
        except BaseException:
            _remove_files(directory, home)
            raise

    @classmethod
    def _launch(
        cls, bindir: Path, directory: Path, home: Path, user: _OsUser, port: int
    ) -> PostgresServer:
        settings = {**SERVER_SETTINGS, "port": str(port)}
        fits = len(str(home)) + len(f"/.s.PGSQL.{port}") <= SOCKET_PATH_LIMIT
        settings["unix_socket_directories"] = str(home) if fits else ""
        command = [str(bindir / "postgres"), "-D", str(home / "data")]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        log_path = directory / "postgres.log"
        with log_path.open("ab") as log:
            log_start = log.tell()
            process = subprocess.Popen(
                command,
                cwd=home,
                env=_server_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for pytest must not reach the server
                preexec_fn=_die_with_parent_hook(),
                user=user.uid,
                group=user.gid,
                extra_groups=user.extra_groups,
            )
        server = cls(directory, home, port, process)
        try:
            server._wait_until_ready(log_path, log_start)
        except BaseException:
            server._shut_down()
            atexit.unregister(server.stop)
            raise
        return server

    def _wait_until_ready(self, log_path: Path, log_start: int) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._process.poll() is not None:
                with log_path.open("rb") as log_file:
                    log_file.seek(log_start)
                    log = log_file.read().decode(errors="replace")
                if "Address already in use" in log:
                    raise _PortTaken(log)
                raise RuntimeError(f"PostgreSQL exited during start-up; its log:\n{log[-4000:]}")
            try:
                with self._admin_connection():
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL not ready after {READY_TIMEOUT:.0f}s; see {log_path}"
                    ) from None
                time.sleep(0.05)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._admin_connection() as connection:
            connection.execute(statement)

    def drop_database(self, name: str) -> None:
        """Drops ``name`` even if connections are still open (they are terminated)."""
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with self._admin_connection() as connection:
            connection.execute(statement)

    def stop(self) -> None:
        """Shuts the server down and deletes its data files (the log stays); safe to repeat."""
        self._shut_down()
        _remove_files(self.directory, self.home)
        atexit.unregister(self.stop)

    def _shut_down(self) -> None:
        # SIGQUIT is pg_ctl's "immediate" mode: no checkpoint, as nothing is kept.
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGQUIT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _admin_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )


class _PortTaken(RuntimeError):
    pass


def _remove_files(directory: Path, home: Path) -> None:
    # A database per test adds up to gigabytes over a run (of memory, on tmpfs).
    shutil.rmtree(home / "data", ignore_errors=True)
    if home != directory:
        shutil.rmtree(home, ignore_errors=True)


def _initdb(bindir: Path, data: Path, user: _OsUser) -> None:
    # C.UTF-8 keeps collation byte-wise (stable across machines) with Unicode
    # character classes; plain C is the fallback where the locale is missing.
    failures = []
    for locale in ("C.UTF-8", "C"):
        result = user.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
             "-E", "UTF8", f"--locale={locale}", "--no-sync"],
            cwd=data.parent,
        )  # fmt: skip
        if result.returncode == 0:
            return
        failures.append(f"--locale={locale}:\n{result.stdout}{result.stderr}")
        shutil.rmtree(data, ignore_errors=True)
    raise RuntimeError("initdb failed\n" + "\n".join(failures))


if __name__ == "__main__":
    found = find_bindir()
    if found is None:
        sys.exit(1)
    print(found)
