"""A throwaway Dovecot IMAP server for the email channel tests.

Debian's ``dovecot-imapd`` provides ``/usr/sbin/dovecot``. Each test session
writes a minimal ``dovecot.conf`` into a temporary directory (users in a
passwd-file, plain-text login over loopback, no TLS, Maildirs, logs and the
runtime directory all in that directory), starts the server on a free
loopback port and removes everything at the end. Dovecot refuses to run its
login processes as root, so when the tests run as root (CI) the whole
instance runs as ``nobody``; otherwise as the current user. A Debian-started
instance on port 143, if any, is never touched.

Run ``python -m tests.support.dovecot`` to print the server binary found
(exit status 1 when there is none).
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.support.live import free_port

READY_TIMEOUT = 30.0
SEARCH = (Path("/usr/sbin/dovecot"), Path("/usr/local/sbin/dovecot"))
UNPRIVILEGED = "nobody"


def find_server() -> Path | None:
    """The dovecot binary, if installed."""
    found = shutil.which("dovecot")
    if found:
        return Path(found)
    return next((path for path in SEARCH if path.is_file()), None)


class DovecotServer:
    """A private IMAP server with the mailbox logins it was started with."""

    def __init__(self, home: Path, port: int, user: str, group: str, users: dict[str, str]) -> None:
        self.home = home
        self.port = port
        self.host = "127.0.0.1"
        self._user, self._group = user, group
        self._users = dict(users)
        self._process: subprocess.Popen[bytes] | None = None
        atexit.register(self.stop)

    @classmethod
    def start(cls, users: dict[str, str]) -> DovecotServer:
        """Logins are fixed at start: Dovecot notices a changed passwd-file only a second later."""
        binary = find_server()
        if binary is None:
            raise RuntimeError(
                "Dovecot is not installed: no dovecot binary found. Install it "
                "(Debian/Ubuntu: `apt-get install dovecot-imapd`; .ci/run does this itself)."
            )
        if os.geteuid() == 0:
            user = UNPRIVILEGED
            group = grp.getgrgid(pwd.getpwnam(UNPRIVILEGED).pw_gid).gr_name
        else:
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
        # As nobody, Dovecot must reach its directory: never under a private TMPDIR.
        base = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
        home = Path(tempfile.mkdtemp(prefix="yiwen-dovecot-", dir=base))
        try:
            for _attempt in range(3):  # another process may take the free port first
                server = cls(home, free_port(), user, group, users)
                with contextlib.suppress(_PortTaken):
                    server._launch(binary)
                    return server
                server.stop(remove=False)
            raise RuntimeError("Dovecot could not bind a free port three times in a row")
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise

    def _launch(self, binary: Path) -> None:
        for name in ("run", "state", "mail"):
            (self.home / name).mkdir(exist_ok=True)
        (self.home / "passwd").write_text(
            "".join(f"{name}:{{PLAIN}}{secret}::::::\n" for name, secret in self._users.items())
        )
        (self.home / "dovecot.conf").write_text(self._config())
        log_path = self.home / "dovecot.log"
        log_path.write_text("")
        if os.geteuid() == 0:
            uid = pwd.getpwnam(self._user).pw_uid
            gid = grp.getgrnam(self._group).gr_gid
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, uid, gid)
        self._process = subprocess.Popen(
            [str(binary), "-F", "-c", str(self.home / "dovecot.conf")],
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self._user if os.geteuid() == 0 else None,
            group=self._group if os.geteuid() == 0 else None,
            start_new_session=True,  # a Ctrl-C meant for pytest must not reach the server
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._process.poll() is not None:
                log = log_path.read_text(errors="replace")
                if "Address already in use" in log:
                    raise _PortTaken(log)
                raise RuntimeError(f"Dovecot exited during start-up; its log:\n{log[-4000:]}")
            try:
                imaplib.IMAP4(self.host, self.port, timeout=2).logout()
                return
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Dovecot not ready after {READY_TIMEOUT:.0f}s") from None
                time.sleep(0.1)

    def _config(self) -> str:
        home = self.home
        uid = pwd.getpwnam(self._user).pw_uid
        gid = grp.getgrnam(self._group).gr_gid
        return f"""\
protocols = imap
listen = {self.host}
base_dir = {home}/run
state_dir = {home}/state
instance_name = yiwen-test-{self.port}
log_path = {home}/dovecot.log
info_log_path = {home}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {self._user}
default_internal_user = {self._user}
default_internal_group = {self._group}
first_valid_uid = 1
mail_location = maildir:{home}/mail/%u
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

    def client(self, username: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(username, self._users[username])
        return client

    def append(
        self,
        username: str,
        raw: bytes,
        *,
        mailbox: str = "INBOX",
        when: datetime | None = None,
    ) -> int:
        """Deliver a mail as an MTA would; returns its UID in the mailbox."""
        client = self.client(username)
        try:
            moment = imaplib.Time2Internaldate(when.timestamp()) if when else None
            status, data = client.append(mailbox, None, moment, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND refused: {data!r}")
            text = b" ".join(item for item in data if isinstance(item, bytes)).decode()
            # "[APPENDUID <uidvalidity> <uid>] Append completed."
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        finally:
            client.logout()

    def create_mailbox(self, username: str, mailbox: str) -> None:
        client = self.client(username)
        try:
            status, data = client.create(mailbox)
            if status != "OK":
                raise RuntimeError(f"CREATE refused: {data!r}")
        finally:
            client.logout()

    def delete_mailbox(self, username: str, mailbox: str) -> None:
        client = self.client(username)
        try:
            status, data = client.delete(mailbox)
            if status != "OK":
                raise RuntimeError(f"DELETE refused: {data!r}")
        finally:
            client.logout()

    def log(self) -> str:
        path = self.home / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, *, remove: bool = True) -> None:
        """Stops the server and deletes its files; safe to repeat."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # any child the master left behind
        if remove:
            shutil.rmtree(self.home, ignore_errors=True)
        atexit.unregister(self.stop)


class _PortTaken(RuntimeError):
    pass


if __name__ == "__main__":
    found = find_server()
    if found is None:
        sys.exit(1)
    print(found)
