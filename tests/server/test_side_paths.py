"""Field rights on the side paths: search (every search route, pinyin initials and letters
included), the default order of a list, the clash check (撞单) and file downloads."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import datetime
from typing import Any

import builders
from crm_common.cleansing import initials, uscc_check_char

API = "/api/v1"
Headers = dict[str, str]
Person = Callable[..., tuple[int, Headers]]
USCC_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _letters(count: int = 12) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=count))


def _lettered_uscc() -> str:
    """A valid USCC whose middle is letters only (a letters-only search term)."""
    first17 = "91310000" + "".join(random.choices(USCC_LETTERS, k=9))
    return first17 + uscc_check_char(first17)


def _ids(api: Any, headers: Headers, path: str, q: str, **params: Any) -> set[int]:
    page = _ok(api.get(f"{API}/{path}", headers=headers, params={
        "q": q, "limit": 500, "sort": "-created_at", **params}))
    return {row["id"] for row in page["items"]}


def _hits(api: Any, headers: Headers, q: str, entity: str) -> set[int]:
    found = _ok(api.get(f"{API}/search", headers=headers, params={"q": q, "limit": 50}))
    return {hit["id"] for hit in found["hits"] if hit["entity"] == entity}


def _found_anywhere(api: Any, headers: Headers, entity: str, q: str) -> set[int]:
    """What ``q`` finds of ``entity`` on every search route (the recycle bin included)."""
    path = {"customer": "customers", "contact": "contacts"}[entity]
    return (_ids(api, headers, path, q) | _ids(api, headers, path, q, deleted=True)
            | _hits(api, headers, q, entity))


def test_search_matches_only_what_the_role_may_read(
        api: Any, admin: Headers, person: Person) -> None:
    role = builders.custom_role(api, admin, {
        "customer": {"actions": {"read": "all"}, "fields": {"name": "masked", "uscc": "hidden"}},
        "contact": {"actions": {"read": "all"},
                    "fields": {"name": "hidden", "email": "hidden", "mobile": "masked"}}})
    _, viewer = person(role["id"])
    word, uscc = _letters(), _lettered_uscc()
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer(name=f"{word}欧阳精密有限公司", uscc=uscc,
                                                   short_name=f"简称{builders.unique()}",
                                                   phone="0512-63334444")), 201)
    contacts = []
    for _ in range(2):  # one stays, one goes to the recycle bin
        made = _ok(api.post(f"{API}/contacts", headers=admin, json=builders.contact(
            customer["id"], name="司马懿", email=f"{_letters()}@example.com",
            mobile="13955556666", phone="021-64445555")), 201)
        contacts.append(made)
    gone = contacts[1]
    assert api.delete(f"{API}/contacts/{gone['id']}", headers=admin,
                      params={"version": gone["version"]}).status_code == 204
    secrets = {  # letters only, pinyin initials, fragments, digits, Chinese: all unreadable
        "customer": [word[2:9], initials("欧阳精密"), uscc[8:17].lower(), uscc, "55556666"],
        "contact": [initials("司马懿"), "司马", contacts[0]["email"][1:8],
                    gone["email"][1:8], "55556666"],
    }
    for entity, terms in secrets.items():
        ids = {customer["id"]} if entity == "customer" else {c["id"] for c in contacts}
        for q in terms:
            assert ids & _found_anywhere(api, admin, entity, q), (entity, q)
            assert not ids & _found_anywhere(api, viewer, entity, q), (entity, q)
    # a masked e-mail shows its domain, which still does not count as read
    assert not {c["id"] for c in contacts} & _found_anywhere(api, viewer, "contact",
                                                             "example.com")
    # what the role does read still finds the records, digits and initials alike
    for q in (customer["short_name"], initials(customer["short_name"]), "051263334444"):
        assert customer["id"] in _found_anywhere(api, viewer, "customer", q), q
    assert customer["id"] in _found_anywhere(api, viewer, "customer", "64445555")
    assert contacts[0]["id"] in _found_anywhere(api, viewer, "contact", "02164445555")


def test_a_role_reading_no_searched_field_finds_nothing(
        api: Any, admin: Headers, person: Person) -> None:
    hidden = {"name": "hidden", "mobile": "hidden", "phone": "hidden", "email": "hidden"}
    role = builders.custom_role(api, admin, {
        "customer": {"actions": {"read": "all"}},
        "contact": {"actions": {"read": "all"}, "fields": hidden}})
    _, viewer = person(role["id"])
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer()), 201)
    contact = _ok(api.post(f"{API}/contacts", headers=admin, json=builders.contact(
        customer["id"], name="诸葛亮")), 201)
    assert contact["id"] in _found_anywhere(api, admin, "contact", "zgl")
    assert _ids(api, viewer, "contacts", "zgl") == set()
    assert _hits(api, viewer, "zgl", "contact") == set()


def test_phones_of_contacts_out_of_reach_do_not_find_their_customer(
        api: Any, admin: Headers, person: Person) -> None:
    """Customers are read by all, contacts only on one's own customers."""
    role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"}},
                                             "contact": {"actions": {"read": "own"}}})
    _, viewer = person(role["id"])
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer(owner_id=1)), 201)
    _ok(api.post(f"{API}/contacts", headers=admin,
                 json=builders.contact(customer["id"], mobile="13966667777")), 201)
    assert customer["id"] in _found_anywhere(api, admin, "customer", "66667777")
    assert customer["id"] not in _found_anywhere(api, viewer, "customer", "66667777")
    assert customer["id"] in _found_anywhere(api, viewer, "customer", customer["short_name"])


def _created(rows: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(row["created_at"]) for row in rows]


def test_a_list_whose_default_order_is_unreadable_comes_newest_first(
        api: Any, admin: Headers, person: Person) -> None:
    role = builders.custom_role(api, admin, {
        "customer": {"actions": {"read": "all"}, "fields": {"name": "masked"}},
        "contact": {"actions": {"read": "all"}, "fields": {"name": "hidden"}}})
    _, viewer = person(role["id"])
    made = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                        json=builders.customer()), 201)
    _ok(api.post(f"{API}/contacts", headers=admin, json=builders.contact(made["id"])), 201)
    for path in ("customers", "contacts"):
        rows = _ok(api.get(f"{API}/{path}", headers=viewer, params={"limit": 20}))["items"]
        assert rows and _created(rows) == sorted(_created(rows), reverse=True), path
        assert api.get(f"{API}/{path}", headers=viewer,
                       params={"sort": "name"}).status_code == 403, path
    first = _ok(api.get(f"{API}/customers", headers=viewer, params={"limit": 1}))["items"]
    assert first[0]["id"] == made["id"]


# --- the clash check (撞单) --------------------------------------------------------------


def _clash(api: Any, headers: Headers, **body: Any) -> Any:
    return api.post(f"{API}/customers/duplicates", headers=headers, json=body)


def test_the_clash_check_needs_the_create_right(
        api: Any, admin: Headers, person: Person) -> None:
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer(uscc=builders.valid_uscc())), 201)
    users_only = builders.custom_role(api, admin, {"user": {"actions": {"read": "all"}}})
    for role in ("finance", "service_engineer", users_only["id"]):
        _, headers = person(role)
        for body in ({"name": customer["name"]}, {"uscc": customer["uscc"]}):
            refused = _clash(api, headers, **body)
            assert refused.status_code == 403, (role, refused.text)
            assert customer["name"] not in refused.text
    _, rep = person("sales_rep")
    assert _clash(api, rep, name=customer["name"], surprise=1).status_code == 422
    assert len(_ok(_clash(api, rep, name=customer["name"]))) == 1


def test_the_clash_check_names_only_what_the_role_may_read(
        api: Any, admin: Headers, person: Person) -> None:
    owner_id, _ = person("sales_rep")
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer(owner_id=owner_id,
                                                   uscc=builders.valid_uscc())), 201)
    creating = {"read": "all", "create": "own"}
    cases = {  # fields of the role → (match by name, match by USCC): identified?
        "readable": ({}, (True, True)),
        "name masked": ({"name": "masked"}, (False, False)),
        "uscc hidden": ({"uscc": "hidden"}, (True, False)),
        "uscc masked": ({"uscc": "masked"}, (True, False)),
    }
    for label, (fields, (by_name, by_uscc)) in cases.items():
        role = builders.custom_role(api, admin, {
            "customer": {"actions": creating, "fields": fields},
            "user": {"actions": {"read": "all"}}})
        _, headers = person(role["id"])
        for body, known in (({"name": customer["name"]}, by_name),
                            ({"uscc": customer["uscc"]}, by_uscc)):
            response = _clash(api, headers, **body)
            [match] = _ok(response)
            assert match["owner_name"], (label, body)
            assert (match["id"] == customer["id"]) is known, (label, body)
            assert (match["name"] == customer["name"]) is known, (label, body)
            if not known:
                assert customer["name"] not in response.text, (label, body)
                # naming the record as the one being edited does not tell which it is
                again = _ok(_clash(api, headers, **body, exclude_id=customer["id"]))
                assert again == [match], (label, body)


def test_the_clash_check_tells_the_owner_only_to_whom_may_read_it(
        api: Any, admin: Headers, person: Person) -> None:
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer(owner_id=1)), 201)
    role = builders.custom_role(api, admin, {
        "customer": {"actions": {"read": "own", "create": "own"},
                     "fields": {"owner_id": "hidden"}},
        "user": {"actions": {"read": "all"}}})
    _, headers = person(role["id"])
    [match] = _ok(_clash(api, headers, name=customer["name"]))
    assert match == {"id": None, "name": None, "owner_name": None, "reason": "name"}


# --- downloads --------------------------------------------------------------------------


def test_a_download_names_nothing_the_role_may_not_read(
        api: Any, admin: Headers, person: Person) -> None:
    customer = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                            json=builders.customer()), 201)
    secret = f"{_letters()}报价底线"
    made = _ok(api.post(f"{API}/attachments", headers=admin,
                        data={"entity": "customer", "record_id": str(customer["id"])},
                        files={"file": (f"{secret}.pdf", b"%PDF-1.4", "application/pdf")}),
               201)
    expected = {  # attachment fields → file name and type of the download
        "hidden": ({"filename": "hidden"}, f"attachment-{made['id']}.pdf", "application/pdf"),
        "masked": ({"filename": "masked"}, f"attachment-{made['id']}.pdf", "application/pdf"),
        "type too": ({"filename": "hidden", "content_type": "hidden"},
                     f"attachment-{made['id']}", "application/octet-stream"),
    }
    for label, (fields, name, kind) in expected.items():
        role = builders.custom_role(api, admin, {
            "customer": {"actions": {"read": "all"}},
            "attachment": {"actions": {"read": "all"}, "fields": fields}})
        _, headers = person(role["id"])
        download = api.get(f"{API}/attachments/{made['id']}/content", headers=headers)
        assert download.status_code == 200 and download.content == b"%PDF-1.4", label
        assert download.headers["content-disposition"] == (
            f"attachment; filename*=UTF-8''{name}"), label
        assert download.headers["content-type"].startswith(kind), label
        assert secret[:12] not in str(download.headers.items()), label
        assert "etag" not in download.headers and "last-modified" not in download.headers
