"""The production layout of docs/operations.md, started on loopback.

`yiwen serve` processes and a `yiwen worker` on a PostgreSQL database and a
Redis server the caller provides, with nginx in front rendered from
deploy/nginx.conf. The multi-process test (tests/scale/test_multi_process.py),
the WebSocket load test and its benchmark (bench/bench_ws_load.py) all start it
from here, so what they measure is what the operations guide ships.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
YIWEN = [sys.executable, "-m", "yiwen.cli"]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, log: Path | None = None, timeout: float = 180) -> None:
    """Wait until ``url`` answers 200 (an app's model training can take a while)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    detail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"{url} did not answer\n{detail}")


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


def render_nginx(
    tmp: Path,
    app_ports: Sequence[int],
    listen: int,
    *,
    worker_connections: int | None = None,
) -> Path:
    """deploy/nginx.conf with this run's paths and ports, one upstream line per app port.

    ``worker_connections`` raises the shipped limit for load runs: each proxied
    WebSocket holds two connections in nginx (client and upstream), and
    ``worker_rlimit_nofile`` is raised to match.
    """
    prefix = tmp / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    text = NGINX_CONF.read_text()
    upstream = re.search(r"^( *)server 127\.0\.0\.1:@APP_PORT_1@;\n", text, re.MULTILINE)
    assert upstream is not None, "deploy/nginx.conf lost its @APP_PORT_1@ upstream line"
    indent = upstream.group(1)
    lines = "".join(f"{indent}server 127.0.0.1:{port};\n" for port in app_ports)
    text = text.replace(upstream.group(0), lines)
    text = re.sub(r"^ *server 127\.0\.0\.1:@APP_PORT_\d+@;\n", "", text, flags=re.MULTILINE)
    text = text.replace("@PREFIX@", str(prefix)).replace("@LISTEN_PORT@", str(listen))
    if worker_connections is not None:
        text = re.sub(r"worker_connections \d+;", f"worker_connections {worker_connections};", text)
        text = text.replace(
            "worker_processes 1;",
            f"worker_processes 1;\nworker_rlimit_nofile {2 * worker_connections + 64};",
        )
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


class Deployment:
    """Processes of one deployment sharing an environment; ``stop()`` ends them all."""

    def __init__(
        self,
        tmp: Path,
        database_url: str,
        redis_url: str,
        *,
        bot_enabled: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            "YIWEN_DATA_DIR": str(tmp / "var"),
            "YIWEN_DATABASE_URL": database_url,
            "YIWEN_REDIS_URL": redis_url,
            "YIWEN_SECRET_KEY": "ops-test-secret-0123456789abcdefghij",
            "YIWEN_SHOP_TOKEN_SECRET": "ops-shop-secret",
            "YIWEN_WORKER_EMBEDDED": "false",
            "YIWEN_COOKIE_SECURE": "false",
            # The bot's model trains per process (seconds); plumbing checks leave it off.
            "YIWEN_BOT_ENABLED": "true" if bot_enabled else "false",
            **(extra_env or {}),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.app_ports: list[int] = []
        self.front: str | None = None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*YIWEN, *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def migrate(self) -> None:
        migrated = self.run("migrate")
        assert migrated.returncode == 0, migrated.stderr

    def create_staff(self, username: str, password: str, role: str, name: str = "值班主管") -> None:
        created = self.run(
            "staff", "create", "--username", username, "--role", role,
            "--display-name", name, "--password", password,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr

    def start_apps(self, count: int) -> list[str]:
        """``count`` app processes (yiwen-app@PORT), each on its own port; their base URLs."""
        ports = [free_port() for _ in range(count)]
        for port in ports:
            self.start(
                f"app-{port}",
                [*YIWEN, "serve", "--no-demo", "--skip-migrate", "--host", "127.0.0.1",
                 "--port", str(port)],
            )  # fmt: skip
        self.app_ports.extend(ports)
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for port, base in zip(ports, bases, strict=True):
            wait_http(f"{base}/healthz", self.log(f"app-{port}"))
        return bases

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", [*YIWEN, "worker"])

    def start_nginx(self, *, worker_connections: int | None = None) -> str | None:
        """nginx in front of the app processes started so far; its URL, or None without nginx."""
        nginx = find_nginx()
        if nginx is None:
            return None
        listen = free_port()
        conf = render_nginx(self.tmp, self.app_ports, listen, worker_connections=worker_connections)
        checked = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.start("nginx", [nginx, "-c", str(conf), "-g", "daemon off;"])
        self.front = f"http://127.0.0.1:{listen}"
        wait_http(f"{self.front}/healthz", self.tmp / "nginx" / "error.log")
        return self.front

    def app_pids(self) -> list[int]:
        """The app processes' ids (for py-spy while a load runs)."""
        return [
            process.pid
            for process in self.processes
            if isinstance(process.args, list) and "serve" in process.args
        ]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
