"""Which custom field holds story points, sprint, epic link, start date and JSM request type on a site.

Custom field ids differ per Jira site (story points are `customfield_10016` on one and
`customfield_10036` on the next), and reading the wrong one is how incumbents report story points
that are always 0. The ids are resolved from `GET /rest/api/{2,3}/field` by schema type and name;
config `fields:` overrides win. A role may resolve to several candidates (a site often has both
"Story Points" and "Story point estimate"): staging takes the first one an issue has a value in.
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


def role_records(
    roles: Mapping[str, list[str]], overrides: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The `field_roles` stream's records: one per role, saying where its ids came from."""
    overrides = overrides or {}
    return [
        {"role": role, "field_ids": ids, "resolved_by": "config" if overrides.get(role) else "field_list"}
        for role, ids in roles.items()
    ]
