"""Every registered tracker through the marts: one pipeline run over all their test doubles.

Each tracker with an emulator or recorded pages (tests/contract.py) gets a source in one Dagster
run on a small organisation; each must fill marts.work_items, work_item_history, milestones and
project_completion, fail no blocking check, and leave docs/warehouse.md current.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract import ContractRun, assert_meets_contract, doubled, run_contract

# Collected here too: a tracker's raw and staging tables must be in docs/warehouse.md.
from tests.models.test_docs import test_committed_warehouse_doc_matches_a_rebuilt_warehouse  # noqa: F401


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractRun]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield run_contract(doubled(), tmp_path_factory.mktemp("contract"), monkeypatch)


@pytest.mark.parametrize("kind", doubled())
def test_tracker_fills_the_marts_and_passes_every_check(kind: str, shared_run: ContractRun) -> None:
    assert_meets_contract(shared_run, kind)
