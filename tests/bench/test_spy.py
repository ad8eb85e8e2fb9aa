"""The load benchmark's py-spy summary (bench/spy.py): collapsed stacks → shares."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from spy import area, parse_collapsed, summarise

STACKS = [
    "process 1;run (crm_server/serve.py);list_records (crm_server/kit/router.py);"
    "do_execute (sqlalchemy/engine/default.py) 6",
    "process 1;run (crm_server/serve.py);present (crm_server/security/access.py) 3",
    "process 1;select (selectors.py) 1",
    "not a stack line",
]


def test_area_is_the_library_of_the_running_frame() -> None:
    assert area("do_execute (sqlalchemy/engine/default.py)") == "sqlalchemy"
    assert area("wrap (ssl.py)") == "ssl"
    assert area("select (selectors.py)") == "other"


def test_summary_shares_self_by_library_and_crm_server_inclusive() -> None:
    summary = summarise(parse_collapsed(STACKS))
    assert summary["samples"] == 10
    assert summary["self_by_library_percent"] == [("sqlalchemy", 60.0), ("crm_server", 30.0),
                                                  ("other", 10.0)]
    inclusive = dict(summary["crm_server_inclusive_percent"])
    assert inclusive["run (crm_server/serve.py)"] == 90.0
    assert inclusive["list_records (crm_server/kit/router.py)"] == 60.0
