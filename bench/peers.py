"""`python -m bench.peers` (`make bench-peers`): dlt's rest_api source beside the bare download
loop and trackerlake's sync, on the same emulated GitHub server, so the side-by-side stays measured.

The emulator and the trackerlake stages run here; dlt runs in its own venv (`--python`), as a user
of it would install it. Only the GitHub source is compared: it is what the peer is configured for.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.emulator_host import EmulatorHost
from bench.stage import run_stage
from connectors.github import GitHubConnector
from pipelines import config as config_module
from pipelines.demo import set_demo_secrets, write_config

HERE = Path(__file__).resolve().parent
MIB = 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--python", type=Path, required=True, help="the peers venv's python (dlt installed)")
    parser.add_argument("--scale", type=float, default=21.0, help="generator scale (21: ~10k GitHub issues)")
    args = parser.parse_args(argv)
    set_demo_secrets()
    with (
        tempfile.TemporaryDirectory(prefix="trackerlake-peers-") as scratch,
        EmulatorHost(args.scale) as host,
    ):
        work = Path(scratch)
        raw = host.control(
            "GET", "config", warehouse=str(work / "published.duckdb"), work_dir=str(work / "work")
        )
        config = write_config(work / "trackerlake.yaml", raw)
        github = next(s for s in config_module.load(config).sources if s.type == "github")
        rows = {}
        for stage in ("bare", "sync"):
            host.control("POST", "reset")
            result = run_stage(stage, {"config": str(config)}, work / stage)
            rows[stage] = (result["sources"][github.name]["seconds"], result["peak_rss_bytes"])
        spec = {
            "base_url": github.base_url,
            "token": os.environ[github.token_env],
            "per_page": github.per_page,
            "repos": github.repos,
            "streams": [
                {"name": s.name, "path": s.path, "params": s.params} for s in GitHubConnector.streams
            ],
            "work_dir": str(work / "dlt"),
        }
        (work / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        host.control("POST", "reset")
        with open(work / "dlt.log", "w", encoding="utf-8") as log:  # dlt's schema warnings
            subprocess.run(
                [
                    str(args.python),
                    str(HERE / "peer_dlt.py"),
                    str(work / "spec.json"),
                    str(work / "dlt.json"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )
        peer = json.loads((work / "dlt.json").read_text(encoding="utf-8"))
        requests = host.control("GET", "requests")["total"]
    print(f"GitHub source at scale {args.scale:g} ({github.name}, {len(github.repos)} repos):")
    print(
        f"  bare download loop      {rows['bare'][0]:6.1f} s  {rows['bare'][1] / MIB:6.0f} MiB (both sources' process)"
    )
    print(
        f"  trackerlake sync        {rows['sync'][0]:6.1f} s  {rows['sync'][1] / MIB:6.0f} MiB (both sources' process)"
    )
    print(
        f"  dlt {peer['dlt']} rest_api   {peer['seconds']:6.1f} s  {peer['peak_rss_bytes'] / MIB:6.0f} MiB, "
        f"{requests} requests, {peer['rows']} rows{' (failed jobs)' if peer['failed_jobs'] else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
