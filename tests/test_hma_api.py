"""The HMA 2.0 matcher API subset (app/hma.py), checked against the response shapes of HMA's own source.

The pydantic models below restate OpenMediaMatch's schemas (facebook/ThreatExchange@baefb4ed,
hasher-matcher-actioner/src/OpenMediaMatch/schemas/{curation,matching}.py and what
blueprints/curation.py returns), with extra fields forbidden so a drifting shape fails.
"""

from __future__ import annotations

import base64
from typing import Optional, Union

import pytest
from pydantic import BaseModel, ConfigDict, RootModel

from imgcheck import Engine
from imgcheck.app.hma import HmaMiddleware
from imgcheck.bank.exchange import import_list
from imgcheck.hashing.files import hash_file

USERS = (("platform", "s3cret pass"),)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BankConfig(Strict):  # schemas/curation.py BankConfig (StoreBankConfig as jsonify writes it)
    name: str
    matching_enabled_ratio: float


class AddSignalResponse(Strict):  # blueprints/curation.py _bank_add_signals' return value
    id: int
    signals: dict[str, str]


class MatchWithDistance(Strict):  # schemas/matching.py
    bank_content_id: int
    distance: str


class RawLookupResponse(Strict):
    matches: list[Union[int, MatchWithDistance]]


class LookupByBank(RootModel[dict[str, list[MatchWithDistance]]]):  # lookup(): TMatchByBank
    pass


class LookupBySignalType(RootModel[dict[str, dict[str, list[MatchWithDistance]]]]):
    pass


class BankContentResponse(Strict):  # schemas/curation.py, as bank_get_content drops unset fields
    id: int
    disable_until_ts: int
    original_media_uri: Optional[str]
    bank: BankConfig
    signals: Optional[dict[str, str]] = None
    note: Optional[str] = None


class ErrorResponse(Strict):  # utils/flask_utils.py api_error_handler
    message: str


async def _inner(scope, receive, send):  # stands for Gradio: anything that is not an HMA route
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})


def _auth(user: str = "platform", password: str = "s3cret pass") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture()
def api(celeb_engine: Engine, tmp_path, fixtures):
    from starlette.testclient import TestClient

    # a shared list that marks biden.jpg's hash a false positive: it must never be returned
    biden = hash_file(fixtures / "biden.jpg", ["pdq"]).hashes["pdq"]
    listing = tmp_path / "fp.csv"
    listing.write_text(f"signal_type,signal_str,collab,category,tags\npdq,{biden},tx,NEGATIVE_CLASS,\n")
    assert import_list(celeb_engine.bank.store, listing).added == 1
    return TestClient(HmaMiddleware(_inner, engine=celeb_engine, users=USERS))


def test_banks_and_auth(api):
    r = api.get("/c/banks", headers=_auth())
    assert r.status_code == 200
    banks = [BankConfig(**b) for b in r.json()]
    assert {b.name for b in banks} == {"CELEBRITY", "KNOWN_SCAM", "OTHER"}
    assert BankConfig(**api.get("/c/bank/KNOWN_SCAM", headers=_auth()).json()).name == "KNOWN_SCAM"
    r = api.get("/c/bank/NOPE", headers=_auth())
    assert r.status_code == 404 and ErrorResponse(**r.json())
    for headers in ({}, _auth(password="wrong"), {"Authorization": "Basic !!!"}):
        r = api.get("/c/banks", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        ErrorResponse(**r.json())
    assert api.get("/", headers=_auth()).status_code == 299  # other routes go to the app untouched


def test_add_signal_then_raw_lookup_and_lookup(api, fixtures):
    rocket = str(hash_file(fixtures / "rocket.jpg", ["pdq"]).hashes["pdq"])
    r = api.post("/c/bank/KNOWN_SCAM/signal", json={"pdq": rocket, "note": "launch scam"}, headers=_auth())
    assert r.status_code == 200, r.text
    added = AddSignalResponse(**r.json())
    assert added.signals == {"pdq": rocket}
    again = AddSignalResponse(**api.post("/c/bank/KNOWN_SCAM/signal", json={"pdq": rocket}, headers=_auth()).json())
    assert again.id == added.id  # the same hash in the same bank is one content
    r = api.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": rocket}, headers=_auth())
    assert RawLookupResponse(**r.json()).matches == [added.id]
    r = api.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": rocket, "include_distance": "true"},
                headers=_auth())
    assert RawLookupResponse(**r.json()).matches == [MatchWithDistance(bank_content_id=added.id, distance="0")]
    r = api.get("/m/lookup", params={"signal_type": "pdq", "signal": rocket}, headers=_auth())
    assert LookupByBank(r.json()).root == {"KNOWN_SCAM": [MatchWithDistance(bank_content_id=added.id,
                                                                            distance="0")]}
    r = api.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": rocket, "banks": "CELEBRITY"},
                headers=_auth())
    assert r.json() == {"matches": []}
    for body, why in (({}, "No signals given"), ({"md5": "x"}, "No such signal type"),
                      ({"pdq": "abc"}, "Invalid pdq signal")):
        r = api.post("/c/bank/KNOWN_SCAM/signal", json=body, headers=_auth())
        assert r.status_code == 400 and why in ErrorResponse(**r.json()).message
    r = api.get("/m/raw_lookup", params={"signal_type": "video_md5", "signal": "x"}, headers=_auth())
    assert r.status_code == 400 and "No such SignalType" in r.json()["message"]


def test_lookup_photo_and_opinions(api, fixtures):
    with open(fixtures / "obama.jpg", "rb") as fh:
        r = api.post("/m/lookup", files={"photo": ("obama.jpg", fh, "image/jpeg")}, headers=_auth())
    assert r.status_code == 200, r.text
    found = LookupBySignalType(r.json()).root["pdq"]
    assert list(found) == ["CELEBRITY"] and found["CELEBRITY"][0].distance == "0"
    # biden.jpg is in the bank as a celebrity, and a sharing group marks its hash NEGATIVE_CLASS:
    # the positive entry is returned, the false-positive one never
    with open(fixtures / "biden.jpg", "rb") as fh:
        r = api.post("/m/lookup", files={"photo": ("biden.jpg", fh, "image/jpeg")}, headers=_auth())
    hits = LookupBySignalType(r.json()).root["pdq"]["CELEBRITY"]
    assert len(hits) == 1
    r = api.post("/m/lookup", files={"photo": ("x.jpg", b"not an image", "image/jpeg")}, headers=_auth())
    assert r.status_code == 400 and ErrorResponse(**r.json())
    r = api.post("/m/lookup", files={"video": ("x.mp4", b"...", "video/mp4")}, headers=_auth())
    assert r.status_code == 400
    assert api.post("/m/lookup", headers=_auth()).status_code == 400


def test_content_objects_round_trip_as_an_hma_dump(api, fixtures, tmp_path):
    """What GET /c/bank/<b>/content/<id> answers is an HMA dump bank import reads back, opinions kept."""
    import json

    from imgcheck.bank.store import BankStore

    store = api.app.api.bank.store
    dump = []
    for entry in store.entries():
        r = api.get(f"/c/bank/{entry.kind.upper()}/content/{entry.id}", params={"include_signals": "true"},
                    headers=_auth())
        assert r.status_code == 200, r.text
        dump.append(BankContentResponse(**r.json()).model_dump(exclude_none=True))
    assert sorted(d["disable_until_ts"] for d in dump) == [0, 1, 1, 1, 1]  # the false positive is disabled
    assert api.get("/c/bank/OTHER/content/1", headers=_auth()).status_code == 404
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(dump))
    s = import_list(BankStore(tmp_path / "b.sqlite"), path)
    assert (s.added, s.non_matching, s.refused) == (5, 1, 0)
