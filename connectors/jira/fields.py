"""Which custom field holds story points, sprint, epic link, start date and JSM request type on a site.

Custom field ids differ per Jira site (story points are `customfield_10016` on one and
`customfield_10036` on the next), and reading the wrong one is how incumbents report story points
that are always 0. The ids are resolved from `GET /rest/api/{2,3}/field` by schema type and name;
config `fields:` overrides win. A role may resolve to several candidates (a site often has both
"Story Points" and "Story point estimate"): staging takes the first one an issue has a value in.

A `/field` answer can come back without a field it listed before (a permission hiccup, an empty
list from a proxy). Taking it at its word re-read every issue without story points and published
zero points for everything. So each run remembers the roles it resolved from the field list, and a
field that disappears from it is kept, with a warning on its `field_roles` record, until a config
override says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GREENHOPPER = "com.pyxis.greenhopper.jira"

# role -> (field names, schema `custom` types), in order of preference.
ROLE_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "story_points": (("Story Points",), (f"{GREENHOPPER}:jsw-story-points",)),
    "sprint": (("Sprint",), (f"{GREENHOPPER}:gh-sprint",)),
    "epic_link": (("Epic Link",), (f"{GREENHOPPER}:gh-epic-link",)),
    "start_date": (("Start date",), ("com.atlassian.jpo:jpo-custom-field-baseline-start",)),
    "request_type": (("Request Type", "Customer Request Type"), ("com.atlassian.servicedesk:vp-origin",)),
}
# Names a role also answers to after the preferred ones (the schema type says more than these).
FALLBACK_NAMES: dict[str, tuple[str, ...]] = {
    "story_points": ("Story point estimate",),
    "start_date": ("Target start",),
}


def resolve_field_roles(
    fields: Iterable[Mapping[str, Any]], overrides: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Map each role to its candidate field ids, most preferred first ([] when the site has none)."""
    fields = list(fields)
    overrides = overrides or {}
    roles: dict[str, list[str]] = {}
    for role, (names, schemas) in ROLE_RULES.items():
        if overrides.get(role):
            roles[role] = [overrides[role]]
            continue
        wanted_names = {n.casefold() for n in names}
        fallback = {n.casefold() for n in FALLBACK_NAMES.get(role, ())}
        by_name = [f["id"] for f in fields if str(f.get("name", "")).casefold() in wanted_names]
        by_schema = [f["id"] for f in fields if (f.get("schema") or {}).get("custom") in schemas]
        by_fallback = [f["id"] for f in fields if str(f.get("name", "")).casefold() in fallback]
        roles[role] = list(dict.fromkeys([*by_name, *by_schema, *by_fallback]))
    return roles


def keep_last_known(
    found: Mapping[str, list[str]],
    overrides: Mapping[str, str] | None,
    last_known: Mapping[str, list[str]] | None,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """`found` with every field id the last run resolved but this field list lost put back.

    Returns the roles and, per role that lost ids, the ids kept. A role that lost an id keeps the
    last run's order of preference (a newly listed id goes after), so staging reads the same field
    first. Roles set in config are not compared: an override added, changed or removed is a
    decision, not a loss.
    """
    overrides = overrides or {}
    roles = {role: list(ids) for role, ids in found.items()}
    kept: dict[str, list[str]] = {}
    for role, known in (last_known or {}).items():
        if role not in roles or overrides.get(role):
            continue
        lost = [fid for fid in known if fid not in roles[role]]
        if lost:
            kept[role] = lost
            roles[role] = list(dict.fromkeys([*known, *roles[role]]))
    return roles, kept


def remembered(roles: Mapping[str, list[str]], overrides: Mapping[str, str] | None) -> dict[str, list[str]]:
    """What the next run compares its field list with: the roles not set in config."""
    overrides = overrides or {}
    return {role: list(ids) for role, ids in roles.items() if not overrides.get(role)}


def lost_warning(role: str, lost: list[str]) -> str:
    """The warning a kept role carries: which ids the field list lost and what to do about it."""
    return (
        f"the site's field list no longer shows {', '.join(lost)} ({role}); kept the last known "
        f"mapping. If the field was replaced, set fields.{role} in the source's config"
    )


def role_records(
    roles: Mapping[str, list[str]],
    overrides: Mapping[str, str] | None = None,
    kept: Mapping[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """The `field_roles` stream's records: one per role, saying where its ids came from.

    `resolved_by` is config, field_list, or last_known (with a `warning`) for a role whose field
    the field list lost; a data check can list those.
    """
    overrides, kept = overrides or {}, kept or {}
    records = []
    for role, ids in roles.items():
        record: dict[str, Any] = {"role": role, "field_ids": ids, "resolved_by": "field_list"}
        if overrides.get(role):
            record["resolved_by"] = "config"
        elif kept.get(role):
            record |= {"resolved_by": "last_known", "warning": lost_warning(role, kept[role])}
        records.append(record)
    return records
