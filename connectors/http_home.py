"""Where a source's credentials may go: the base_url's origin (scheme, host, port) and path prefix.

A tracker's answers name URLs (`Link: rel="next"`, `Location`, `self` links), and the client
attaches the token to every request it sends. A URL from an answer is therefore followed only when
it stays under the base_url: another host, port or scheme, or a path outside the base path (after
`..` is resolved, with no encoded dot, and also once decoded as a server may decode it), fails the
source instead. An encoded slash that stays under the base path is fine: GitLab names a project by
its path as one segment (`/projects/acme%2Fweb`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from connectors.http_text import redact

DEFAULT_PORTS = {"http": 80, "https": 443}
ENCODED_DOT = "%2e"  # never needed in an API path; a server may decode it into `..` later


@dataclass(frozen=True)
class Home:
    scheme: str
    host: str
    port: int
    prefix: str  # the base path, without its trailing slash ("" for a site root)

    @classmethod
    def of(cls, base_url: str) -> tuple[Home, str | None]:
        """The base_url's home, and why the base_url itself is refused (None when it is fine)."""
        origin = _origin(base_url)
        if origin is None:
            return cls("", "", 0, ""), f"base_url {redact(base_url)} is not an http(s) URL with a host"
        parts = urlsplit(base_url)
        home = cls(*origin, prefix=posixpath.normpath(parts.path or "/").rstrip("/"))
        if parts.username is not None or parts.password is not None:
            return home, f"base_url {redact(base_url)} holds a user name or password: use token_env"
        if parts.query or parts.fragment:
            return home, f"base_url {redact(base_url)} has a query or fragment: give the API root only"
        return home, None

    def refusal(self, url: str) -> str | None:
        """Why `url` may not receive this source's credentials, or None when it may."""
        origin = _origin(url)
        if origin != (self.scheme, self.host, self.port):
            where = f"{origin[0]}://{origin[1]}:{origin[2]}" if origin else redact(url)
            return f"refused to send credentials to {where}: only {self.origin} is this source's tracker"
        path = urlsplit(url).path or "/"
        decoded = unquote(path).replace("\\", "/")  # encoded slashes as a server may read them
        if ENCODED_DOT in path.lower() or not all(self._under(p) for p in (path, decoded)):
            return f"refused {redact(url)}: it leaves the base path {self.prefix or '/'} of {self.origin}"
        return None

    def _under(self, path: str) -> bool:
        """Whether `path`, its `..` resolved, is the base path or below it."""
        resolved = posixpath.normpath(path)
        return resolved == self.prefix or resolved.startswith(self.prefix + "/")

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None when the URL has none."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number, or out of range
        return None
    if scheme not in DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port
