"""The five-field cron expressions a schedule takes, checked without importing Dagster.

Dagster refuses a cron it cannot read when it loads the code location, which then fails whole,
schedule and all; `trackerlake check-config` must refuse it first, yet import no Dagster (1-2 s).
Dagster reads cron with its vendored croniter, which is only importable through Dagster, so this is
its five-field grammar and `@daily`-style names, without croniter's rarer extensions (`L`, `#`,
`?`, which are refused): numbers, month and weekday names, ranges (wrapping round, `fri-mon`),
steps and lists. tests/test_config_values.py checks that it refuses what Dagster refuses.
"""

from __future__ import annotations

from typing import NamedTuple

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February's longest
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class Field(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i


FIELDS = (
    Field("minute", 0, 59),
    Field("hour", 0, 23),
    Field("day of month", 1, 31),
    Field("month", 1, 12, MONTHS),
    Field("day of week", 0, 7, WEEKDAYS),  # 0 and 7 are both Sunday
)


def check(expression: str) -> None:
    """Return if a schedule can use `expression`, else raise ValueError with a reason that reads
    after it: `'99 99 * * *' is not a valid cron expression: minute '99' is not within 0-59`."""
    parts = ALIASES.get(expression.strip().lower(), expression).split()
    if len(parts) != len(FIELDS):
        raise ValueError("is not a 5-field cron expression")
    try:
        _, _, days, months, _ = (_values(part, field) for part, field in zip(parts, FIELDS, strict=True))
        # A day no listed month has never comes: `0 0 31 4 *` never fires. Dagster refuses the 30th
        # or 31st of February alone even with a weekday, which croniter would fire on instead.
        if min(days) > max(DAYS_IN_MONTH[month - 1] for month in months) and (
            parts[4] == "*" or (months == {2} and len(days) == 1)
        ):
            raise ValueError("it never fires, no listed month has that day")
    except ValueError as exc:
        raise ValueError(f"is not a valid cron expression: {exc}") from None


def _values(part: str, field: Field) -> set[int]:
    values: set[int] = set()
    for item in part.split(","):
        base, slash, step_text = item.partition("/")
        if slash and not (step_text.isascii() and step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"{field.name} step {step_text!r} is not a positive number")
        if base == "*":
            start, end = field.low, field.high
        else:
            first, dash, last = base.partition("-")
            start = _number(first, field)
            # `5/15` counts from 5 to the field's end, as croniter reads it
            end = _number(last, field) if dash else field.high if slash else start
        # A range that runs backwards wraps round: `22-2` is 22, 23, 0, 1, 2.
        run = (
            range(start, end + 1)
            if start <= end
            else [*range(start, field.high + 1), *range(field.low, end + 1)]
        )
        values.update(run[:: int(step_text) if slash else 1])
    return values


def _number(text: str, field: Field) -> int:
    lowered = text.lower()
    if lowered in field.names:
        return field.low + field.names.index(lowered)
    if text.isascii() and text.isdigit() and field.low <= int(text) <= field.high:
        return int(text)
    raise ValueError(f"{field.name} {text!r} is not within {field.low}-{field.high}")
