"""Tracker API emulators for the demo, tests and benchmarks (never imported by connectors or pipelines).

- generator.py: `generate_org(seed, scale, as_of)`, the deterministic demo organisation.
- org.py: `Org` (every tracker's model and one shared `Clock`) and `Person`.
- server.py: `EmulatorServer`, one loopback HTTP server mounting each API under a path prefix.
- exchange.py: the plain `Request`/`Response` a mounted API handles.
- faults.py: `FaultPlan`, the faults a server injects (rate limits, 5xx, resets, slow and spoiled
  answers, edits mid-walk, repeated page tokens) and the changes made between runs.
- github/: api.py, model.py, render.py, story.py, rate_limit.py, templates/: GitHub REST
  (handler, in-memory model with its change methods, JSON shapes, the generated history, budgets).
- jira/: api.py, model.py, render.py, story.py, jql.py, templates/: Jira Cloud/Data Center REST
  and agile (handler, in-memory site with its change methods, JSON shapes, the generated story, JQL).
"""
