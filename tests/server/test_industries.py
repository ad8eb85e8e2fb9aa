"""The industry list: seeded by migration 0013 with the 20 sections of GB/T 4754-2017, read
by everyone (the customer form offers it), kept by administrators. The seeded rows are
checked on the database the suite runs on: SQLite, and PostgreSQL in make test-postgres."""

from __future__ import annotations

from typing import Any

import builders

Headers = dict[str, str]
API = "/api/v1/industries"
SECTIONS = "ABCDEFGHIJKLMNOPQRST"


def _listed(api: Any, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = api.get(API, headers=headers, params={"limit": 200, "sort": "sort_order",
                                                     **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_the_twenty_sections_are_seeded_in_order(api: Any, rep: Headers) -> None:
    seeded = [row for row in _listed(api, rep) if row["code"] in SECTIONS]
    assert [row["code"] for row in seeded] == list(SECTIONS)
    by_code = {row["code"]: row for row in seeded}
    assert (by_code["C"]["name"], by_code["C"]["english_name"]) == ("制造业", "Manufacturing")
    assert by_code["I"]["name"] == "信息传输、软件和信息技术服务业"
    assert by_code["T"]["name"] == "国际组织" and by_code["A"]["name"] == "农、林、牧、渔业"
    assert all(row["is_active"] for row in seeded)


def test_administrators_keep_the_list_others_read_it(api: Any, admin: Headers,
                                                      rep: Headers) -> None:
    code = f"Z{builders.unique()}"[:8]
    refused = api.post(API, json={"code": code, "name": f"光伏{code}"}, headers=rep)
    assert refused.status_code == 403
    made = api.post(API, json={"code": code, "name": f"光伏{code}", "sort_order": 999},
                    headers=admin)
    assert made.status_code == 201, made.text
    clash = api.post(API, json={"code": f"Y{code}"[:8], "name": f"光伏{code}"}, headers=admin)
    assert clash.status_code == 409 and set(clash.json()["fields"]) == {"name"}
    retired = api.patch(f"{API}/{made.json()['id']}", headers=admin,
                        json={"version": made.json()["version"], "is_active": False})
    assert retired.status_code == 200, retired.text
    active = {row["code"] for row in _listed(api, rep, is_active="true")}
    assert code not in active and set(SECTIONS) <= active
