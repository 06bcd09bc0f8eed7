"""Fault injection for the emulators: what real trackers, proxies and networks do to a nightly sync.

    plan = FaultPlan.parse("429:0.05,500:0.02,reset:0.01,slow:0.01,truncate:0.01,token_repeat:1,seed=3")
    with EmulatorServer(org, faults=plan) as server:
        ...                      # requests now meet faults at these rates
    plan.churn(org)              # between runs: the edits, deletions and transfers the spec asks for
    plan.injected                # what was actually injected, by kind

The spec is comma-separated entries (docs/reliability.md has the full table):
- `KIND:RATE[@PREFIX]`: a request fault, injected into that fraction of the requests it applies to
  (0..1), only under the path PREFIX if one is given (`500:1@/jira` fails every Jira request);
- `KIND:COUNT`: a change `churn` makes between runs (edit, delete, transfer);
- `NAME=VALUE`: a setting: `seed`, `retry_after` (whole seconds sent in Retry-After), `slow_seconds`.

Whether a request meets a fault is a hash of the seed, the request (method, path, query without
its page token, body) and how many times that same request came before, never of arrival order:
clients fetching in parallel meet the same faults for the same seed, and a retried request draws
afresh, as a flaky network would.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from emulators.emulated import Faults, registered
from emulators.exchange import Response, json_bytes
from emulators.org import Org

T = TypeVar("T")

# Request faults, in the order a draw walks them.
STATUS_FAULTS = ("429", "429_bare", "secondary", "secondary_bare", "500", "502", "503")
REQUEST_FAULTS = (*STATUS_FAULTS, "reset", "cut", "slow", "truncate", "token_repeat", "move")
CHURN_FAULTS = ("edit", "delete", "transfer")
SETTINGS: dict[str, Callable[[str], Any]] = {"seed": int, "retry_after": int, "slow_seconds": float}

EDIT_MARK = re.compile(r" \[edit \d+\]$")

UNKNOWN = Faults()  # how a path under no tracker's mount is refused
SERVER_ERRORS = {"500": "Internal server error", "502": "Bad gateway", "503": "Service unavailable"}


@dataclass(frozen=True)
class Rule:
    """One request fault of the spec: its kind, its rate, and the path prefix it is limited to."""

    kind: str
    rate: float
    prefix: str = ""

    def applies(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> bool:
        if not path.startswith(self.prefix):
            return False
        if self.kind.startswith("secondary"):
            return _faults_of(path).secondary is not None  # a tracker's own kind of refusal
        if self.kind == "token_repeat":
            return "nextPageToken" in query or b"nextPageToken" in body
        if self.kind == "move":
            return method == "GET" and _is_listing(path)
        return True


@dataclass(frozen=True)
class Fault:
    """The fault one request meets, and the plan it came from (for its settings and its count)."""

    kind: str
    choice: float  # a second uniform draw in [0, 1), for faults that pick something
    plan: FaultPlan = field(repr=False)

    @property
    def drops_connection(self) -> bool:
        return self.kind == "reset"

    @property
    def cuts_body(self) -> bool:
        return self.kind == "cut"

    @property
    def delay(self) -> float:
        return self.plan.slow_seconds if self.kind == "slow" else 0.0

    def answer(self, path: str) -> Response | None:
        """The refusal a status fault answers with instead of the API's answer; None for the rest."""
        if self.kind not in STATUS_FAULTS:
            return None
        tracker = _faults_of(path)
        if self.kind.startswith("secondary"):
            status, message = 403, tracker.secondary or ""
        elif self.kind.startswith("429"):
            status, message = 429, tracker.throttled
        else:
            status, message = int(self.kind), SERVER_ERRORS[self.kind]
        headers = [("Content-Type", "application/json;charset=UTF-8")]
        if self.kind in ("429", "secondary"):
            headers.append(("Retry-After", str(self.plan.retry_after)))
        if status == 429:
            headers.extend(tracker.throttled_headers)
        return Response(status, json_bytes(tracker.error_body(message)), headers)

    def adjust(self, query: Mapping[str, str], body: bytes, response: Response) -> Response | None:
        """The API's answer spoiled on its way back (truncate, token_repeat); None when it cannot be."""
        if response.status != 200 or not response.body:
            return None
        if self.kind == "truncate":
            return Response(200, response.body[: len(response.body) // 2], response.headers)
        if self.kind == "token_repeat":
            token = query.get("nextPageToken") or _body_token(body)
            if not token:
                return None
            page = json.loads(response.body)
            page.update({"nextPageToken": token, "isLast": False})  # the stale token that loops clients
            return Response(200, json_bytes(page), response.headers)
        return None

    def pick(self, items: Sequence[T]) -> T:
        return items[min(len(items) - 1, int(self.choice * len(items)))]


class FaultPlan:
    """Request faults at rates, changes between runs, and a count of what was injected.

    Thread-safe: the emulator server answers each request on its own thread.
    """

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        churn_counts: Mapping[str, int] | None = None,
        seed: int = 0,
        retry_after: int = 1,
        slow_seconds: float = 2.0,
    ) -> None:
        self.rules = tuple(rules)
        self.churn_counts = dict(churn_counts or {})
        self.seed, self.retry_after, self.slow_seconds = seed, retry_after, slow_seconds
        self._seen: Counter[str] = Counter()
        self._injected: Counter[str] = Counter()
        self._churns = 0
        self._edits = 0
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """A plan from a spec such as `429:0.05,reset:0.01@/github,delete:2,seed=3`; ValueError if bad."""
        rules: list[Rule] = []
        churn: dict[str, int] = {}
        settings: dict[str, Any] = {}
        for entry in (part.strip() for part in spec.split(",")):
            if not entry:
                continue
            if "=" in entry:
                name, _, value = entry.partition("=")
                if name not in SETTINGS:
                    raise ValueError(f"fault spec: unknown setting {name!r} (one of {', '.join(SETTINGS)})")
                try:
                    settings[name] = SETTINGS[name](value)
                except ValueError:
                    raise ValueError(f"fault spec: {name}={value!r} is not a number") from None
                continue
            kind, colon, amount = entry.partition(":")
            amount, _, prefix = amount.partition("@")
            if not colon or kind not in (*REQUEST_FAULTS, *CHURN_FAULTS):
                raise ValueError(
                    f"fault spec: {entry!r} is not KIND:RATE (kinds: {', '.join(REQUEST_FAULTS + CHURN_FAULTS)})"
                )
            try:
                number = float(amount)
            except ValueError:
                raise ValueError(f"fault spec: {entry!r}: {amount!r} is not a number") from None
            if kind in CHURN_FAULTS:
                if prefix or number < 0 or number != int(number):
                    raise ValueError(f"fault spec: {entry!r}: {kind} takes a whole count per churn")
                churn[kind] = int(number)
            elif not 0 <= number <= 1:
                raise ValueError(f"fault spec: {entry!r}: a rate is between 0 and 1")
            else:
                rules.append(Rule(kind, number, prefix))
        plan = cls(rules, churn, **settings)
        if plan.retry_after < 0 or plan.slow_seconds < 0:
            raise ValueError("fault spec: retry_after and slow_seconds are not negative")
        return plan

    def describe(self) -> str:
        """The plan in one line, for the `trackerlake emulate` banner."""
        parts = [f"{r.kind}:{r.rate:g}{'@' + r.prefix if r.prefix else ''}" for r in self.rules]
        parts += [f"{kind}:{count}" for kind, count in self.churn_counts.items()]
        return ", ".join(parts) + f" (seed {self.seed})"

    # -- requests -------------------------------------------------------------------------------

    def draw(self, method: str, path: str, query_string: str, body: bytes) -> Fault | None:
        """The fault this request meets, if any (its effect still decides whether it counts)."""
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        eligible = [rule for rule in self.rules if rule.applies(method, path, query, body)]
        if not eligible:
            return None
        # Page tokens differ from run to run (the server numbers them as they are issued); the
        # count of earlier identical requests tells the pages of one walk apart instead.
        stable = sorted((key, value) for key, value in query.items() if key != "nextPageToken")
        identity = f"{method} {path} {stable} {hashlib.sha256(body).hexdigest()}"
        with self._lock:
            occurrence = self._seen[identity]
            self._seen[identity] += 1
        digest = hashlib.sha256(f"{self.seed}|{identity}|{occurrence}".encode()).digest()
        roll = int.from_bytes(digest[:8], "big") / 2**64
        choice = int.from_bytes(digest[8:16], "big") / 2**64
        for rule in eligible:
            if roll < rule.rate:
                return Fault(rule.kind, choice, self)
            roll -= rule.rate
        return None

    def record(self, kind: str) -> None:
        """Count a fault whose effect took place."""
        with self._lock:
            self._injected[kind] += 1

    @property
    def injected(self) -> dict[str, int]:
        """Faults injected so far, by kind (request faults and churn changes alike)."""
        with self._lock:
            return dict(self._injected)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._injected.values())

    def retitle(self, title: str) -> str:
        """A new title that says it was edited: `Fix login [edit 12]` (numbers run across the plan)."""
        with self._lock:
            self._edits += 1
            number = self._edits
        return f"{EDIT_MARK.sub('', title)} [edit {number}]"

    # -- between runs ---------------------------------------------------------------------------

    def churn(self, org: Org) -> dict[str, int]:
        """Make the spec's edits, deletions and transfers, a few simulated seconds apart (people do
        not change many issues within one second); the same seed makes the same changes."""
        with self._lock:
            rng = random.Random(f"{self.seed}:churn:{self._churns}")
            self._churns += 1
        done: Counter[str] = Counter()
        for kind in CHURN_FAULTS:
            # The trackers that can make this change, each as likely to be picked.
            changes = [
                (model, change)
                for tracker, model in org.models.items()
                if (change := registered()[tracker].faults.changes.get(kind)) is not None
            ]
            for _ in range(self.churn_counts.get(kind, 0)):
                org.advance(seconds=rng.randint(5, 90))
                if not changes:
                    continue
                model, change = rng.choice(changes)
                if change(model, rng, self.retitle):
                    done[kind] += 1
                    self.record(kind)
        return dict(done)


def _body_token(body: bytes) -> str | None:
    try:
        found = json.loads(body) if body else {}
    except ValueError:
        return None
    return found.get("nextPageToken") if isinstance(found, dict) else None


# -- where a path leads ---------------------------------------------------------------------------


def _faults_of(path: str) -> Faults:
    """The fault record of the tracker whose mount (/<type>/) the path is under; the defaults if none."""
    tracker = registered().get(path.split("/", 2)[1]) if path.count("/") >= 2 else None
    return tracker.faults if tracker is not None else UNKNOWN


@functools.cache
def _listings() -> re.Pattern[str]:
    """Every tracker's issue listing path, under its mount."""
    paths = [
        f"/{kind}/{record.faults.listing}" for kind, record in registered().items() if record.faults.listing
    ]
    return re.compile("|".join(f"(?:{path})" for path in paths) or "(?!)")


def _is_listing(path: str) -> bool:
    return _listings().fullmatch(path) is not None
