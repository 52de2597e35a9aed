"""Misbehaving servers on loopback for the fault tests: a trickling SMTP server and a TCP proxy.

Both are real sockets in threads of the test process. The SMTP server answers as slowly as a
server that has almost stopped: one byte of an endless greeting at a time, each byte well
within any socket timeout. The proxy stands in front of the shared PostgreSQL server, which
is never stopped or frozen itself: the test kills the proxy (every connection through it ends
at once) or freezes it (it stops forwarding; the kernel still accepts connections and
acknowledges data, as for a server that hangs).
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Session:
    """One SMTP session as the trickling server saw it."""

    ended_by: str = ""  # "client" (it hung up) or "server" (the server gave up)
    probe_seen: bool = False  # the probe was true while the session was being held


@dataclass
class TrickleSmtp:
    """An SMTP server that sends an endless greeting, one byte every `interval` seconds.

    A client's per-operation socket timeout never trips, since a byte always arrives in time.
    The server gives up on a session after `give_up` seconds (so a client without an overall
    deadline is not held for ever: the test must not hang) and records who ended it. `probe`
    is polled while a session is held: the test asks, e.g., whether the reports are written.
    """

    interval: float = 0.2
    give_up: float = 15.0
    probe: Callable[[], bool] = lambda: False
    sessions: list[Session] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> TrickleSmtp:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            session = Session()
            self.sessions.append(session)
            thread = threading.Thread(target=self._hold, args=(client, session), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _hold(self, client: socket.socket, session: Session) -> None:
        line = b"220-smtp.kitflow.test venter paa en langsom disk\r\n"
        started = time.monotonic()
        i = 0
        with client:
            while not self._stop.is_set():
                if time.monotonic() - started > self.give_up:
                    session.ended_by = "server"
                    return
                session.probe_seen = session.probe_seen or self.probe()
                readable, _, _ = select.select([client], [], [], self.interval)
                if readable:
                    try:
                        data = client.recv(4096)
                    except OSError:
                        data = b""
                    if not data:
                        session.ended_by = "client"
                        return
                    continue  # whatever the client says, the greeting is not finished
                try:
                    client.sendall(line[i % len(line) : i % len(line) + 1])
                except OSError:
                    session.ended_by = "client"
                    return
                i += 1


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of `target`, which the test kills or freezes.

    `kill()` closes every connection through it and the listening socket: clients see the
    server vanish and new connections are refused. `freeze()` stops forwarding in both
    directions (connections are still accepted by the kernel and their bytes acknowledged,
    then nothing comes back), as a server that hangs; after `safety_seconds` a frozen proxy
    kills itself, so that code without timeouts cannot hang the test for ever, and says so in
    `safety_killed`.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._running = threading.Event()  # set while forwarding
        self._running.set()
        self._dead = threading.Event()
        self.safety_killed = False
        self.connections = 0

    def start(self) -> TcpProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def kill(self) -> None:
        """Every connection through the proxy ends now; new ones are refused."""
        self._dead.set()
        self._running.set()  # wake frozen pumps so that they see the end
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def freeze(self, safety_seconds: float = 30.0) -> None:
        """Stop forwarding (and accepting); kill everything after `safety_seconds`."""
        self._running.clear()

        def safety() -> None:
            if not self._dead.wait(safety_seconds):
                self.safety_killed = True
                self.kill()

        threading.Thread(target=safety, daemon=True).start()

    def _accept(self) -> None:
        while not self._dead.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._running.wait()  # frozen: the connection waits in the backlog, unanswered
            if self._dead.is_set():
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            self._running.wait()  # frozen: hold what was read, forward nothing
            if not data or self._dead.is_set():
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                return
            try:
                dst.sendall(data)
            except OSError:
                return


class RunLog:
    """Every record of a run: Prefect's run loggers (which do not propagate) and the root's."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self.handler = logging.Handler(logging.DEBUG)
        self.handler.emit = self._keep  # type: ignore[method-assign]

    def _keep(self, record: logging.LogRecord) -> None:
        if not any(r is record for r in self.records[-5:]):  # a propagated record comes twice
            self.records.append(record)

    def __enter__(self) -> RunLog:
        for name in ("prefect", ""):
            logging.getLogger(name).addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in ("prefect", ""):
            logging.getLogger(name).removeHandler(self.handler)

    def text(self) -> str:
        return "\n".join(r.getMessage() for r in self.records)

    def tracebacks(self) -> list[str]:
        """The records that carry a traceback."""
        return [r.getMessage() for r in self.records if r.exc_info and r.exc_info[0]]
