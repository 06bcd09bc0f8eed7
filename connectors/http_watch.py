"""A deadline for one whole HTTP exchange: status line, headers and body, however slowly they come.

Socket timeouts bound each read, not the exchange: a server sending a byte every few seconds never
trips them. `Watch` is a timer started before the request is sent; the connection that sends it
registers its socket with the watch of the thread sending it (`WatchedAdapter` installs such
connections), and when the timer fires it shuts that socket down. The blocked read then returns
at once, as if the server had hung up, and the caller sees the deadline has passed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_sending = threading.local()  # the Watch of the exchange this thread is sending, if any


class Watch:
    def __init__(self, seconds: float) -> None:
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.fired = False

    def __enter__(self) -> Watch:
        _sending.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _sending.watch = None

    def register(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._socket = sock
            if self.fired:  # the deadline passed while connecting or sending
                self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to cut
                self._socket.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Mixin for urllib3 connections: once a request is sent, its socket is the sending thread's watch's."""

    sock: socket.socket | None

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # type: ignore[misc]
        watch = getattr(_sending, "watch", None)
        if watch is not None:
            watch.register(self.sock)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections report their sockets to the sending thread's Watch, direct
    or through an HTTP(S) proxy (a SOCKS proxy keeps its own connections: per-read timeouts only)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager
