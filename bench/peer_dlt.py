"""dlt's rest_api source loading the emulator's GitHub streams into DuckDB: the peer `make
bench-peers` measures. Runs in its own venv (`.venv-peers`, dlt only), never imports trackerlake.

    python bench/peer_dlt.py SPEC.json RESULT.json
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(spec_path: str, result_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    started = time.perf_counter()
    import dlt  # imported here: a user of dlt waits for it too
    from dlt.sources.rest_api import rest_api_source

    resources = [
        {
            "name": f"{stream['name']}__{repo.replace('/', '__').replace('-', '_')}",
            "endpoint": {"path": stream["path"].format(scope=repo).lstrip("/"), "params": stream["params"]},
        }
        for repo in spec["repos"]
        for stream in spec["streams"]
    ]
    source = rest_api_source(
        {
            "client": {
                "base_url": spec["base_url"].rstrip("/") + "/",
                "auth": {"type": "bearer", "token": spec["token"]},
                "paginator": "header_link",
            },
            "resource_defaults": {
                "write_disposition": "replace",
                "endpoint": {"params": {"per_page": spec["per_page"]}},
            },
            "resources": resources,
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="peer",
        pipelines_dir=spec["work_dir"],
        destination=dlt.destinations.duckdb(str(Path(spec["work_dir"]) / "peer.duckdb")),
        dataset_name="github",
    )
    info = pipeline.run(source)
    rows = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    result = {
        "seconds": time.perf_counter() - started,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rows": sum(count for table, count in rows.items() if not table.startswith("_dlt")),
        "dlt": dlt.__version__,
        "failed_jobs": info.has_failed_jobs,
    }
    Path(result_path).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
