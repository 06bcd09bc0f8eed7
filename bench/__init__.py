"""`make bench`: trackerlake's sync and model rebuild measured against the physical limit.

`python -m bench` serves generated organisations (about 10k and 100k GitHub issues, Jira in
proportion) from emulator processes, runs the bare download loop and the pipeline's sync over
the same pages, a sync with nothing changed and one with 1% changed, then rebuilds the models on
1M work items; each stage runs in a process of its own so its peak RSS is its own. Targets are
checked in bench/targets.py; results land in bench/results.md and bench/results.json.
"""
