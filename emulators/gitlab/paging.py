"""GitLab's paging: offset pages with Link and X-* headers, and keyset pages linking only the next.

Offset: `page`/`per_page` (default 20, at most 100), `Link` rel prev/next/first/last, `X-Page`,
`X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total`, `X-Total-Pages`; past 10,000 items GitLab
stops counting, leaving out the totals and rel="last".
Keyset: the items past the request's position and a `Link` rel="next" while more remain; no other
paging header.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from emulators.exchange import Request
from emulators.gitlab.params import invalid, page_size

COUNT_LIMIT = 10_000  # past this many items GitLab stops counting them


@dataclass
class Keyset:
    """Keyset paging over a listing: the items past the request's position, and the link
    parameters that start after a given item."""

    after: Callable[[Request, Sequence[Any]], Sequence[Any]]
    position: Callable[[Any], dict[str, str]]


@dataclass
class Listing:
    """A list endpoint's matching items in order, how to render one, and its keyset (if offered)."""

    items: Sequence[Any]
    render: Callable[[Any], Any]
    keyset: Keyset | None = None


def page_url(request: Request, replace: dict[str, str], drop: Sequence[str] = ()) -> str:
    """This request's URL with some parameters replaced (the client's others kept in order)."""
    kept = [(key, value) for key, value in request.query if key not in replace and key not in drop]
    return f"{request.base_url}{request.path}?{urlencode([*kept, *replace.items()])}"


def offset_page(request: Request, listing: Listing) -> tuple[list[Any], list[tuple[str, str]]]:
    per_page = page_size(request)
    try:
        page = max(1, int(request.param("page") or 1))
    except ValueError:
        raise invalid("page", "is invalid") from None
    total = len(listing.items)
    counted = total <= COUNT_LIMIT
    last = max(1, math.ceil(total / per_page))
    chosen = listing.items[(page - 1) * per_page : page * per_page]
    has_next = page * per_page < total

    def link(number: int) -> str:
        return page_url(request, {"page": str(number), "per_page": str(per_page)})

    rels = []
    if page > 1:
        rels.append(f'<{link(page - 1)}>; rel="prev"')
    if has_next:
        rels.append(f'<{link(page + 1)}>; rel="next"')
    rels.append(f'<{link(1)}>; rel="first"')
    if counted:
        rels.append(f'<{link(last)}>; rel="last"')
    headers = [
        ("Link", ", ".join(rels)),
        ("X-Next-Page", str(page + 1) if has_next else ""),
        ("X-Page", str(page)),
        ("X-Per-Page", str(per_page)),
        ("X-Prev-Page", str(page - 1) if page > 1 else ""),
    ]
    if counted:
        headers += [("X-Total", str(total)), ("X-Total-Pages", str(last))]
    return [listing.render(item) for item in chosen], headers


def keyset_page(request: Request, listing: Listing) -> tuple[list[Any], list[tuple[str, str]]]:
    """A keyset page: the items after the request's position, and rel="next" while more remain."""
    assert listing.keyset is not None
    per_page = page_size(request)
    rest = listing.keyset.after(request, listing.items)
    chosen = list(rest[:per_page])
    headers: list[tuple[str, str]] = []
    if len(rest) > per_page:
        position = listing.keyset.position(chosen[-1])
        headers.append(("Link", f'<{page_url(request, position, drop=("page",))}>; rel="next"'))
    return [listing.render(item) for item in chosen], headers


def id_keyset(descending: bool) -> Keyset:
    """Keyset by id (/projects?pagination=keyset&order_by=id): the next link carries `id_after`
    (`id_before` when descending)."""
    name = "id_before" if descending else "id_after"

    def after(request: Request, items: Sequence[Any]) -> Sequence[Any]:
        bound = request.param(name)
        if bound is None:
            return items
        if not bound.isdigit():
            raise invalid(name, "is invalid")
        return [item for item in items if (item.id < int(bound) if descending else item.id > int(bound))]

    return Keyset(after, lambda item: {name: str(item.id)})
