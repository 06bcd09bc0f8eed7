"""The demo organisation: deterministic, generated from a seed and a scale, as of a fixed instant.

    org = generate_org(seed=7, scale=1.0)   # acme/web, acme/api, acme/mobile; ~150 issues each

The same seed and scale give byte-identical API answers: every random choice comes from
random.Random seeded per part (never the wall clock or set order). Scale multiplies the number of
issues and pull requests (about 450 issues at scale 1, 100,000 at scale 222). What the story holds
is told in each emulator's story.py; each tracker's part comes from its emulator's record
(emulators/emulated.py), built in the order of `registered()` sorted by history, longest first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulators.emulated import registered
from emulators.org import Clock, Org, Person

DEMO_AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)

# Members and two customers. Display names carry accents and Chinese script for trackers whose
# user objects show names (GitHub's simple-user objects carry the login only).
PEOPLE = (
    Person("li-na", "李娜"),
    Person("wang-fang", "王芳"),
    Person("kenji-sato", "佐藤健二"),
    Person("jose-alvarez", "José Álvarez"),
    Person("zoe-mueller", "Zoë Müller"),
    Person("bjorn-lindqvist", "Björn Lindqvist"),
    Person("emilie-durand", "Émilie Durand"),
    Person("ngozi-okafor", "Ngozi Okafor"),
    Person("priya-raman", "Priya Raman"),
    Person("sam-taylor", "Sam Taylor"),
    Person("juergen-kunde", "Jürgen Müller", external=True),
    Person("sofia-cliente", "Sofía Pérez", external=True),
)


def generate_org(seed: int = 7, scale: float = 1.0, as_of: datetime = DEMO_AS_OF) -> Org:
    """Generate the demo organisation; its clock stands at `as_of` (UTC, whole seconds)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone (UTC)")
    as_of = as_of.astimezone(UTC).replace(microsecond=0)
    emulated = sorted(registered().values(), key=lambda record: -record.history_days)
    clock = Clock(as_of - timedelta(days=max((record.history_days for record in emulated), default=0)))
    models = {}
    for record in emulated:
        clock.set(as_of - timedelta(days=record.history_days))
        models[record.type] = record.build(seed=seed, scale=scale, as_of=as_of, people=PEOPLE, clock=clock)
    clock.set(as_of)
    return Org(models=models, clock_source=clock, people=PEOPLE, seed=seed, scale=scale)
