"""Names sort the way Chinese users read them: pinyin order on PostgreSQL (ICU); SQLite,
which has no ICU, keeps code-point order."""

from __future__ import annotations

from typing import Any

import builders

API = "/api/v1"


def test_customer_names_sort_in_pinyin_order(api: Any, rep: dict[str, str], app: Any) -> None:
    tag = builders.unique()
    names = [f"{first}排序{tag}有限公司" for first in ("万通", "上海", "北京", "阿里")]
    for name in names:
        assert api.post(f"{API}/customers", json=builders.customer(name=name, province="澳门"),
                        headers=rep, params={"confirm": True}).status_code == 201
    rows = api.get(f"{API}/customers", params={"province": "澳门", "q": f"排序{tag}",
                                               "sort": "name"}, headers=rep).json()["items"]
    pinyin = ["阿里", "北京", "上海", "万通"]
    expected = pinyin if app.state.engine.dialect.name == "postgresql" else sorted(pinyin)
    assert [r["name"][:2] for r in rows] == expected
