"""Ways to break real things in tests: a TCP proxy that can cut a database off, and an outage switch
for the SQLite source (its directory disappears). Nothing here sleeps."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url

from kpi.store.engines import get_engine


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server. ``down()`` cuts every open connection and refuses new
    ones (accepted, then closed at once, like a server that is gone); ``up()`` lets them through again."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.is_stalled:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self) -> None:
        self.is_up = False
        with self._lock:
            sockets, self._open = self._open, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def up(self) -> None:
        self.is_up = True
        self.is_stalled = False

    is_stalled = False

    def stall(self) -> None:
        """Keep every connection open and say nothing more: what the server sends is swallowed (a
        server, or a network path, that hangs without closing anything)."""
        self.is_stalled = True

    def close(self) -> None:
        self._stopped = True
        self.down()
        self.listener.close()


class SilentServer:
    """Accepts TCP connections and never sends a byte: a source that is there and never answers."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="silent-server").start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(client)

    def close(self) -> None:
        for s in self.held + [self.listener]:
            try:
                s.close()
            except OSError:
                pass


class SourceOutage:
    """Takes a source database away and brings it back: PostgreSQL through a :class:`TcpProxy`,
    SQLite by moving its directory away (a new connection cannot open the file)."""

    def __init__(self, url: str, tmp_path: Path):
        self.backend = make_url(url).get_backend_name()
        if self.backend == "postgresql":
            parsed = make_url(url)
            self.proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
            self.url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)
        else:
            self.dir = tmp_path / "source"
            self.dir.mkdir()
            self.url = f"sqlite:///{self.dir / 'facts.db'}"

    def down(self) -> None:
        if self.backend == "postgresql":
            self.proxy.down()
        else:
            self.dir.rename(self.dir.with_name("source.gone"))
        get_engine(self.url).dispose()  # pooled connections die with the server

    def up(self) -> None:
        if self.backend == "postgresql":
            self.proxy.up()
        else:
            self.dir.with_name("source.gone").rename(self.dir)

    def close(self) -> None:
        get_engine(self.url).dispose()
        if self.backend == "postgresql":
            self.proxy.close()


class UnreachableSlack:
    """Settings' Slack for code that must never call it: nothing listens on port 9."""

    api_url = "http://127.0.0.1:9/api/"


class ReadOnlyDatabase:
    """The bot's own SQLite database stops taking writes, then takes them again (a disk full, a file made
    read-only, then fixed). Connections opened meanwhile can't write (as SQLite opens a file it may not
    write), and the pool keeps them: coming back does not dispose of them (no restart)."""

    def __init__(self, url: str):
        self.engine = get_engine(url)
        assert self.engine.dialect.name == "sqlite", "SQLite only"
        self.is_down = False
        event.listen(self.engine, "connect", self._connect)

    def _connect(self, dbapi_conn, record) -> None:
        if self.is_down:
            dbapi_conn.execute("PRAGMA query_only = ON")

    def down(self) -> None:
        self.is_down = True
        self.engine.dispose()  # every connection from now on is opened read-only

    def up(self) -> None:
        self.is_down = False

    def close(self) -> None:
        event.remove(self.engine, "connect", self._connect)
        self.engine.dispose()
