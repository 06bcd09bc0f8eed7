"""Tracker API emulators for the demo, tests and benchmarks (never imported by connectors or pipelines).

- emulated.py: `Emulated`, the record each tracker's emulator exports, and `registered()`.
- generator.py: `generate_org(seed, scale, as_of)`, the deterministic demo organisation, built
  from every registered emulator.
- org.py: `Org` (every tracker's model by type, `org.<type>`, and one shared `Clock`) and `Person`.
- server.py: `EmulatorServer`, one loopback HTTP server mounting each tracker's API under /<type>.
- exchange.py: the plain `Request`/`Response` a mounted API handles.
- faults.py: `FaultPlan`, the faults a server injects (rate limits, 5xx, resets, slow and spoiled
  answers, edits mid-walk, repeated page tokens) and the changes made between runs, each tracker's
  through its record's `Faults`.
- rate_limit.py: a request budget per credential and window, which each API shows its own way.
- replay.py: `ReplayServer`, answering from recorded pages that a JSON manifest routes.
- <type>/ (github/, jira/): one folder per tracker: api.py (handler), model.py (in-memory model
  with its change methods), render.py (JSON shapes), story.py (the generated history), faults.py,
  templates/, and `EMULATED` in its __init__.py.
"""
