"""`trackerlake new-tracker NAME`: a new tracker's folders, from templates, and what is left to fill.

Run from the repository's root, it writes (pipelines/scaffold_templates/ holds the templates):
- connectors/NAME/: `__init__.py` (its `TRACKER`), `config.py` (its source model), `connector.py`
  (the `Stream` declarations to fill);
- models/staging/NAME/<entity>.sql for each canonical entity (models/staging/<entity>.sql): that
  file's `-- columns:` block and typed NULLs selected from the tracker's raw table, to be mapped;
- tests/NAME/: a replay manifest with fixture placeholders (emulators/replay.py) and a test that
  runs the shared contract (tests/contract.py) on them;
and adds the one registration line to `PACKAGES` in connectors/__init__.py. Every blank is marked
`TODO(new-tracker): what to fill`; `unfilled` lists those left, and the contract fails while any is.
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path
from string import Template

from pipelines.cli import EXIT_OK, EXIT_USAGE

MARK = "TODO(new-tracker)"


class ScaffoldError(ValueError):
    """A name or a folder the scaffold refuses: one line, exit 2 (not cli's UsageError, whose class
    differs when the command runs as `python -m pipelines.cli`)."""


NAME = re.compile(r"[a-z][a-z0-9_]*")
TEMPLATES = Path(__file__).resolve().parent / "scaffold_templates"
STAGING_TEMPLATE = "staging.sql.tmpl"
# The raw stream each canonical entity is mapped from in the scaffold (the connector template's
# streams); any other entity reads the work items.
STREAM_OF = {"milestones": "milestones", "item_events": "events", "pull_requests": "pull_requests"}
PACKAGES = re.compile(r"^PACKAGES = \(\n(?:    .*\n)*?(?=\)\n)", re.MULTILINE)
CANONICAL_SELECT = re.compile(r"^SELECT\n(.*?)\nWHERE false", re.MULTILINE | re.DOTALL)


def tracker_folders(root: Path, name: str) -> list[Path]:
    """Where a tracker called `name` lives (and an emulator of its, written first, may)."""
    return [
        root / "connectors" / name,
        root / "models" / "staging" / name,
        root / "tests" / name,
        root / "emulators" / name,
    ]


def check_name(root: Path, name: str) -> None:
    """Refuse a name that is not a tracker type or is taken; refuse to run outside the repository."""
    if not ((root / "connectors" / "__init__.py").is_file() and (root / "models" / "staging").is_dir()):
        raise ScaffoldError(
            f"new-tracker: run it from the repository's root (the folder holding connectors/ and "
            f"models/), not {root}"
        )
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"new-tracker: {name!r} must match [a-z][a-z0-9_]* (it is the config's `type:`)")
    taken = [p for p in [*tracker_folders(root, name), root / "connectors" / f"{name}.py"] if p.exists()]
    if taken or f'"connectors.{name}"' in (root / "connectors" / "__init__.py").read_text(encoding="utf-8"):
        where = taken[0].relative_to(root) if taken else "connectors/__init__.py"
        raise ScaffoldError(f"new-tracker: {name!r} exists already ({where})")


def scaffold(root: Path, name: str) -> list[Path]:
    """Write the tracker's files and its registration line; returns the files written."""
    check_name(root, name)
    values = {"name": name, "Class": "".join(part.capitalize() for part in name.split("_"))}
    written = []
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES)
        if relative.name == STAGING_TEMPLATE:
            continue
        target = root / str(relative.with_suffix("")).replace("{name}", name)
        written.append(_write(target, Template(template.read_text(encoding="utf-8")).substitute(values)))
    staging = Template((TEMPLATES / STAGING_TEMPLATE).read_text(encoding="utf-8"))
    for canonical in sorted((root / "models" / "staging").glob("*.sql")):
        columns, nulls = canonical_columns(canonical)
        entity = canonical.stem
        text = staging.substitute(
            values, entity=entity, stream=STREAM_OF.get(entity, "issues"), columns=columns, nulls=nulls
        )
        written.append(_write(root / "models" / "staging" / name / canonical.name, text))
    register(root, name)
    return written


def canonical_columns(path: Path) -> tuple[str, str]:
    """A canonical entity's `-- columns:` block and its typed NULL select list."""
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("--")]
    start = header.index("-- columns:")
    select = CANONICAL_SELECT.search(text)
    if select is None:
        raise ValueError(f"{path}: no `SELECT ... WHERE false` of typed NULLs")
    return "\n".join(header[start:]), select.group(1)


def register(root: Path, name: str) -> None:
    """The one registration line: the tracker's package appended to `PACKAGES`."""
    path = root / "connectors" / "__init__.py"
    text = path.read_text(encoding="utf-8")
    listed = PACKAGES.search(text)
    if listed is None:
        raise ValueError(f"{path}: no `PACKAGES = (` tuple, one package a line")
    line = f'    "connectors.{name}",\n'
    path.write_text(text[: listed.end()] + line + text[listed.end() :], encoding="utf-8")


def unfilled(root: Path, name: str) -> list[str]:
    """`path:line: what to fill` for each blank the scaffold left in the tracker's folders."""
    left = []
    for folder in tracker_folders(root, name):
        for path in sorted(
            p for p in folder.rglob("*") if p.is_file() and p.suffix in (".py", ".sql", ".json")
        ):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if MARK in line:
                    what = line.split(MARK, 1)[1].lstrip(": ").split('"')[0].strip()
                    left.append(f"{path.relative_to(root)}:{number}: {what}")
    return left


def new_tracker(name: str, root: Path) -> int:
    """The command: scaffold, then print what was written and a numbered list of what is left."""
    try:
        written = scaffold(root, name)
    except ScaffoldError as exc:
        print(f"trackerlake: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Registered connectors.{name} in connectors/__init__.py and wrote {len(written)} files:")
    print("\n".join(f"  {path.relative_to(root)}" for path in written))
    steps = [
        *unfilled(root, name),
        "regenerate docs/warehouse.md (the new raw and staging tables): python -m pipelines.docs",
        f"run the shared contract on the recordings: .venv/bin/pytest tests/{name}",
    ]
    print("Left to fill (docs/connectors.md walks through each with GitLab):")
    print("\n".join(f"{number:3}. {step}" for number, step in enumerate(steps, start=1)))
    return EXIT_OK


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
