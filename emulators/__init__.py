"""Tracker API emulators for the demo, tests and benchmarks (never imported by connectors or pipelines).

- generator.py: `generate_org(seed, scale, as_of)`, the deterministic demo organisation.
- org.py: `Org` (every tracker's model and one shared `Clock`) and `Person`.
- server.py: `EmulatorServer`, one loopback HTTP server mounting each API under a path prefix.
- exchange.py: the plain `Request`/`Response` a mounted API handles.
- faults.py: `FaultPlan`, the faults a server injects (rate limits, 5xx, resets, slow and spoiled
  answers, edits mid-walk, repeated page tokens) and the changes made between runs.
- github.py, github_model.py, github_render.py, github_story.py, github_rate_limit.py: GitHub REST
  (handler, in-memory model with its change methods, JSON shapes, the generated history, budgets).
- jira.py, jira_model.py, jira_render.py, jira_story.py, jira_jql.py: Jira Cloud/Data Center REST
  and agile (handler, in-memory site with its change methods, JSON shapes, the generated story, JQL).
"""
