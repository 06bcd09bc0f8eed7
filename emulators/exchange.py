"""What the emulator server hands to a mounted API and gets back: plain data, no sockets.

A mount (GitHub under /github, Jira under /jira later) is any object with
`handle(request) -> Response`; the server strips the mount's prefix from the path first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below the mount, e.g. "/repos/acme/web/issues"
    query_string: str
    headers: Mapping[str, str]  # case-insensitive (an email.message.Message from http.server)
    body: bytes
    base_url: str  # absolute URL of the mount as the client reached it, e.g. "http://127.0.0.1:5000/github"

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query parameters in the order the client sent them (Link headers keep that order)."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def param_map(self) -> dict[str, str]:
        """The query parameters as a dict (the last value of a repeated one wins)."""
        return dict(self.query)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter, as most servers read a repeated one."""
        values = [value for key, value in self.query if key == name]
        return values[-1] if values else default


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


class Mount(Protocol):
    def handle(self, request: Request) -> Response: ...


def json_bytes(payload: Any) -> bytes:
    """Compact UTF-8 JSON without ASCII escapes, as api.github.com and Jira send it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
