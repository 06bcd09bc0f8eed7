"""The part of JQL that sync clients send, parsed the way Jira reads it.

Supported: clauses joined by AND on `project` (= or in), `key`/`issuekey`/`id` (= or in), and
`updated`/`created` compared (>=, >, <=, <) with epoch milliseconds or a date. A date such as
"2026-11-20 12:00" is read in the searching user's profile time zone with minute precision, as Jira
does, which is why a client should send epoch milliseconds. Anything else is a 400 in Jira's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>>=|<=|!=|=|>|<|\(|\)|,)|(?P<word>[^\s=!<>(),"']+))"""
)
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
TIME_FIELDS = ("updated", "created")
ORDER_FIELDS = {"updated": "updated", "created": "created", "id": "id", "key": "key", "issuekey": "key"}
COMPARATORS = (">=", ">", "<=", "<")


class JqlError(ValueError):
    """A query Jira refuses with 400; `message` is Jira's own wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TimeBound:
    field: str  # "updated" or "created"
    op: str  # one of COMPARATORS
    at: datetime  # aware

    def admits(self, value: datetime) -> bool:
        if self.op == ">=":
            return value >= self.at
        if self.op == ">":
            return value > self.at
        if self.op == "<=":
            return value <= self.at
        return value < self.at


@dataclass(frozen=True)
class Query:
    projects: frozenset[str] | None = None
    keys: frozenset[str] | None = None
    ids: frozenset[int] | None = None
    bounds: tuple[TimeBound, ...] = ()
    order: tuple[tuple[str, bool], ...] = field(default=(("id", False),))  # (field, descending)

    @property
    def bounded(self) -> bool:
        """Jira Cloud's search/jql refuses a query with no restriction (only ORDER BY)."""
        return bool(self.projects or self.keys or self.ids or self.bounds)


def parse(jql: str, user_zone: tzinfo) -> Query:
    """Parse `jql`; dates without a zone are read in `user_zone`. Raises JqlError like Jira's 400."""
    tokens = _tokens(jql)
    position = 0
    where: dict[str, frozenset] = {}
    bounds: list[TimeBound] = []
    order: list[tuple[str, bool]] = []

    def peek(offset: int = 0) -> str | None:
        index = position + offset
        return tokens[index] if index < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise _syntax(jql, expected or "a value", "end of query")
        if expected is not None and token.lower() != expected.lower():
            raise _syntax(jql, f"'{expected}'", token)
        position += 1
        return token

    while peek() is not None and peek().lower() != "order":
        if where or bounds:
            take("AND")
        name = take().lower()
        if name in TIME_FIELDS:
            op = take()
            if op not in COMPARATORS:
                raise _syntax(jql, "operator '>=', '>', '<=' or '<'", op)
            bounds.append(TimeBound(name, op, _instant(take(), name, user_zone)))
        elif name in ("project", "key", "issuekey", "id"):
            # Project and issue keys match whatever their case, as in Jira.
            values = frozenset(value.upper() for value in _values(take, peek, jql))
            kind = {"issuekey": "key"}.get(name, name)
            where[kind] = values if kind not in where else where[kind] & values
        else:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
    if peek() is not None:
        take("ORDER")
        take("BY")
        while True:
            name = take().lower()
            if name not in ORDER_FIELDS:
                raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
            descending = False
            if peek() is not None and peek().lower() in ("asc", "desc"):
                descending = take().lower() == "desc"
            order.append((ORDER_FIELDS[name], descending))
            if peek() != ",":
                break
            take(",")
        if peek() is not None:
            raise _syntax(jql, "',' or end of query", peek())
    ids = where.get("id")
    return Query(
        projects=where.get("project"),
        keys=where.get("key"),
        ids=None if ids is None else frozenset(_id(value) for value in ids),
        bounds=tuple(bounds),
        order=tuple(order) or (("id", False),),
    )


def _tokens(jql: str) -> list[str]:
    tokens, position = [], 0
    text = jql.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: The character '{text[position]}' is a reserved JQL character."
            )
        position = match.end()
        string = match.group("string")
        tokens.append(
            string[1:-1].replace('\\"', '"') if string else match.group("op") or match.group("word")
        )
    return tokens


def _values(take: Callable[..., str], peek: Callable[[], str | None], jql: str) -> frozenset[str]:
    op = take().lower()
    if op == "=":
        return frozenset([take()])
    if op != "in":
        raise _syntax(jql, "operator '=' or 'in'", op)
    take("(")
    values = [take()]
    while peek() == ",":
        take(",")
        values.append(take())
    take(")")
    return frozenset(values)


def _instant(value: str, name: str, user_zone: tzinfo) -> datetime:
    if value.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    for layout in DATE_FORMATS:
        try:
            return datetime.strptime(value, layout).replace(tzinfo=user_zone)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{value}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def _id(value: str) -> int:
    if not value.isdigit():
        raise JqlError(f"The value '{value}' does not exist for the field 'id'.")
    return int(value)


def _syntax(jql: str, expected: str, got: str) -> JqlError:
    return JqlError(f"Error in the JQL Query: Expecting {expected} but got '{got}'. The query was: {jql}")
