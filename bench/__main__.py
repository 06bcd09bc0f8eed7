"""`python -m bench` (`make bench`): run the bench, write bench/results.{md,json}, check the targets.

Exits 1 when a target fails. `--quick` runs one tiny scale (the smoke test's), `--profile` writes a
cProfile of every stage next to its work files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import report, suite, targets

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one tiny scale and 20k work items")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.md and results.json go")
    parser.add_argument("--work", type=Path, help="where working files go (default: a temporary directory)")
    parser.add_argument("--profile", action="store_true", help="cProfile every stage into the work directory")
    args = parser.parse_args(argv)
    plan = suite.QUICK if args.quick else suite.FULL
    with tempfile.TemporaryDirectory(prefix="trackerlake-bench-") as scratch:
        results = suite.run(plan, args.work or Path(scratch), args.profile)
    checked = targets.check(results)
    md_path, _ = report.write(results, checked, args.out)
    for target in checked:
        print(target.line())
    print(f"Results: {md_path}")
    return 0 if all(target.passed for target in checked) else 1


if __name__ == "__main__":
    sys.exit(main())
