"""The part of Hasher-Matcher-Actioner 2.0's REST API that platforms call to add and look up PDQ hashes.

A platform whose backend already talks to HMA can point it at ``imgcheck serve --auth ...`` instead:

``GET /c/banks``                          ``[{"name": "KNOWN_SCAM", "matching_enabled_ratio": 1.0}, ...]``
``GET /c/bank/<name>``                    one of those, or 404
``GET /c/bank/<name>/content/<id>[?include_signals=true]``  HMA's BankContentResponse (what
                                          ``bank import`` reads back as an HMA dump)
``POST /c/bank/<name>/signal``            body ``{"pdq": "<hash>", "note": "..."}`` -> ``{"id": 7, "signals": {"pdq": ...}}``
``GET /m/raw_lookup?signal_type=pdq&signal=<hash>[&include_distance=true][&banks=A,B]``
                                          ``{"matches": [7, ...]}`` or ``{"matches": [{"bank_content_id": 7,
                                          "distance": "3"}]}``
``GET /m/lookup?signal_type=pdq&signal=<hash>``  ``{"KNOWN_SCAM": [{"bank_content_id": 7, "distance": "3"}]}``
``POST /m/lookup`` (multipart, field ``photo``)  ``{"pdq": {"KNOWN_SCAM": [{"bank_content_id": 7, ...}]}}``

The shapes are those of HMA's own source (OpenMediaMatch ``blueprints/curation.py`` and
``blueprints/matching.py``, ``schemas/matching.py``; errors are ``{"message": ...}`` with HMA's
status codes). HMA's banks are imgcheck's entry kinds in upper case (CELEBRITY, KNOWN_SCAM, OTHER);
a bank content id is the bank entry id. Entries their sharing group marks NEGATIVE_CLASS or DISPUTED
are left out of lookups, as HMA leaves out disabled content. A PDQ matches within the calibrated
radius (``Settings.pdq_radius``, 31 bits, HMA's own PDQ threshold). ``POST /m/lookup`` looks the photo
up with every view imgcheck uses (all 8 orientations of the upright photo, borders trimmed) and
reports the nearest.

Served only behind ``--auth`` (HTTP Basic, the same users as the app's login) and never with
``--public``: adding hashes changes the bank.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from imgcheck.engine import NewEntry  # the Engine's entry type (bank.store), not imported past it
from imgcheck.errors import ImgcheckError, InputError
from imgcheck.hashing import views
from imgcheck.hashing.base import Hash
from imgcheck.types import BANK_KINDS

_BANK_PATH = re.compile(r"^/c/bank/([^/]+)(/signal)?/?$")
_CONTENT_PATH = re.compile(r"^/c/bank/([^/]+)/content/(\d+)/?$")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
#: HMA's content types for a multipart lookup; imgcheck hashes photos only
PHOTO_FIELDS = ("photo", "image")
MAX_JSON = 64 * 1024
ROUTES = ("/c/banks", "/c/bank/", "/m/raw_lookup", "/m/lookup")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bank_name(kind: str) -> str:
    return kind.upper()


def kind_of(name: str) -> str:
    kind = name.lower()
    if kind not in BANK_KINDS:
        raise ApiError(404, f"bank '{name}' not found")
    return kind


def _bank_json(kind: str) -> dict[str, Any]:
    return {"name": bank_name(kind), "matching_enabled_ratio": 1.0}


def _pdq(signal_type: str | None, signal: str | None) -> Hash:
    if not signal_type:
        raise ApiError(400, "signal_type is required")
    if signal_type != "pdq":
        raise ApiError(400, f"No such SignalType '{signal_type}'")
    text = (signal or "").strip()
    if not _HEX64.fullmatch(text):
        raise ApiError(400, f"invalid signal: {text[:70]!r} is not a 256-bit PDQ hash in hex")
    return Hash.from_hex("pdq", text.lower())


class HmaApi:
    """The endpoints above over an engine's bank (synchronous; the middleware runs it in a thread)."""

    def __init__(self, engine, radius: int | None = None) -> None:
        self.engine = engine
        self.radius = engine.settings.pdq_radius if radius is None else radius

    @property
    def bank(self):
        if self.engine.bank is None:
            raise ApiError(503, "no bank is open")
        return self.engine.bank

    def banks(self) -> list[dict[str, Any]]:
        return [_bank_json(k) for k in BANK_KINDS]

    def bank_config(self, name: str) -> dict[str, Any]:
        return _bank_json(kind_of(name))

    def add_signal(self, name: str, body: Any) -> dict[str, Any]:
        kind = kind_of(name)
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object like {\"pdq\": \"<hash>\"}")
        body = dict(body)
        note = body.pop("note", None)
        if note is not None and (not isinstance(note, str) or len(note) > 255):
            raise ApiError(400, "note must be a string of at most 255 characters")
        if not body:
            raise ApiError(400, "No signals given")
        for signal_type in body:
            if signal_type != "pdq":
                raise ApiError(400, f"No such signal type {signal_type}")
        value = body["pdq"]
        if not isinstance(value, str):
            raise ApiError(400, "Invalid pdq signal: not a string")
        try:
            h = _pdq("pdq", value)
        except ApiError as exc:
            raise ApiError(400, f"Invalid pdq signal: {exc.message}") from None
        store = self.bank.store
        key = f"pdq:{h}"
        collab = f"hma:{bank_name(kind)}"
        known = store.external_entries(collab).get(key)
        if known is not None:
            return {"id": known.id, "signals": {"pdq": str(h)}}
        entry_id, _ = store.add(NewEntry(label=note or f"{bank_name(kind)} {str(h)[:12]}", kind=kind,
                                         source="added through the HMA API", hashes=[("full", h)],
                                         category="POSITIVE_CLASS", collab=collab, external_key=key))
        return {"id": entry_id, "signals": {"pdq": str(h)}}

    def content(self, name: str, content_id: int, query: dict[str, str]) -> dict[str, Any]:
        """HMA's ``GET /c/bank/<bank>/content/<id>``: 1 in disable_until_ts means enabled, 0 disabled
        (imgcheck: a NEGATIVE_CLASS or DISPUTED opinion)."""
        kind = kind_of(name)
        entry = self.bank.get(content_id)
        if entry is None or entry.kind != kind:
            raise ApiError(404, f"content '{content_id}' not found")
        out: dict[str, Any] = {"id": entry.id, "disable_until_ts": 1 if entry.matches else 0,
                               "original_media_uri": None, "bank": _bank_json(kind)}
        if query.get("include_signals", "false").lower() == "true":
            h = self.engine.exchange_hash(entry.id)
            if h is not None:
                out["signals"] = {"pdq": str(h)}
        out["note"] = entry.label[:255]
        return out

    def _matches(self, hashes: Sequence[Hash], banks: set[str] | None) -> list[tuple[int, str, int]]:
        """(entry id, bank name, distance) of the matching, opinion-allowed entries, nearest first."""
        out = []
        for hit in self.bank.search_hashes(list(hashes), self.radius):
            entry = self.bank.get(hit.entry_id)
            if entry is None or not entry.matches:
                continue
            name = bank_name(entry.kind)
            if banks is not None and name not in banks:
                continue
            out.append((entry.id, name, hit.distance))
        return out

    @staticmethod
    def _banks(value: str | None) -> set[str] | None:
        return {b.strip() for b in value.split(",") if b.strip()} if value else None

    def raw_lookup(self, query: dict[str, str]) -> dict[str, Any]:
        h = _pdq(query.get("signal_type"), query.get("signal"))
        found = self._matches([h], self._banks(query.get("banks")))
        if query.get("include_distance", "false").lower() == "true":
            return {"matches": [{"bank_content_id": i, "distance": str(d)} for i, _, d in found]}
        return {"matches": [i for i, _, _ in found]}

    @staticmethod
    def _by_bank(found: list[tuple[int, str, int]]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for i, name, d in found:
            out.setdefault(name, []).append({"bank_content_id": i, "distance": str(d)})
        return out

    def lookup(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("url"):
            raise ApiError(403, "imgcheck does not fetch URLs; POST the photo to /m/lookup instead")
        if not query.get("signal") or not query.get("signal_type"):
            raise ApiError(400, "Either url or both signal and signal_type are required")
        h = _pdq(query.get("signal_type"), query.get("signal"))
        return self._by_bank(self._matches([h], self._banks(query.get("banks"))))

    def lookup_photo(self, data: bytes, name: str, query: dict[str, str]) -> dict[str, Any]:
        try:
            img = self.engine.load(data, name=name)
        except ImgcheckError as exc:
            raise ApiError(400, str(exc)) from None
        hashes = [h for _, h in views.query_hashes(img)["pdq"]]
        return {"pdq": self._by_bank(self._matches(hashes, self._banks(query.get("banks"))))}


# -- ASGI ----------------------------------------------------------------------------------------
def _credentials_ok(header: str, users: Sequence[tuple[str, str]]) -> bool:
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    ok = False
    for u, p in users:  # compare against every user: no early exit that times the match
        ok |= hmac.compare_digest(u.encode(), user.encode()) & hmac.compare_digest(p.encode(), password.encode())
    return ok


def _basic_user(header: str) -> str:
    """The user name of an HTTP Basic header ("" when there is none)."""
    if not header.lower().startswith("basic "):
        return ""
    try:
        return base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return ""


class HmaMiddleware:
    """Answers the HMA routes (``ROUTES``) and hands every other request to the app (Gradio)."""

    def __init__(self, app, engine=None, users: Sequence[tuple[str, str]] = (), max_upload: int = 50 << 20,
                 limiter=None) -> None:
        self.app = app
        self.api = HmaApi(engine) if engine is not None else None
        self.users = tuple(users)
        self.max_upload = max_upload
        #: the app's LoginLimiter (app/login.py): failed Basic logins count like failed /login ones
        self.limiter = limiter

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if self.api is None or not self.users or not path.startswith(ROUTES):
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        request = Request(scope, receive)
        headers = {}
        try:
            header = request.headers.get("authorization", "")
            client, user = (scope.get("client") or ("?", 0))[0], _basic_user(header)
            if self.limiter is not None and header and self.limiter.retry_after(client, user) > 0:
                wait = self.limiter.retry_after(client, user)
                raise ApiError(429, f"too many failed logins; try again in {max(1, round(wait / 60))} minute(s)")
            if not _credentials_ok(header, self.users):
                if self.limiter is not None and header:
                    self.limiter.failed(client, user)
                headers = {"WWW-Authenticate": 'Basic realm="imgcheck"'}
                raise ApiError(401, "log in with HTTP Basic authentication (a user of imgcheck serve --auth)")
            if self.limiter is not None:
                self.limiter.succeeded(client, user)
            status, payload = 200, await self._route(request, path, run_in_threadpool)
        except ApiError as exc:
            status, payload = exc.status, {"message": exc.message}
        except InputError as exc:
            status, payload = 400, {"message": str(exc)}
        except ImgcheckError as exc:
            status, payload = 500, {"message": str(exc)}
        await JSONResponse(payload, status_code=status, headers=headers)(scope, receive, send)

    async def _body(self, request, limit: int) -> bytes:
        if int(request.headers.get("content-length") or 0) > limit:
            raise ApiError(413, "the request body is too large")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise ApiError(413, "the request body is too large")
        return body

    async def _route(self, request, path: str, run) -> Any:
        api = self.api
        query = {k: v[-1] for k, v in parse_qs(request.url.query, keep_blank_values=True).items()}
        method = request.method
        if path.rstrip("/") == "/c/banks":
            _only(method, "GET")
            return api.banks()
        c = _CONTENT_PATH.match(path)
        if c:
            _only(method, "GET")
            return await run(api.content, c.group(1), int(c.group(2)), query)
        m = _BANK_PATH.match(path)
        if m and not m.group(2):
            _only(method, "GET")
            return api.bank_config(m.group(1))
        if m:
            _only(method, "POST")
            try:
                body = json.loads(await self._body(request, MAX_JSON) or b"null")
            except ValueError:
                raise ApiError(400, "the body must be JSON") from None
            return await run(api.add_signal, m.group(1), body)
        if path.rstrip("/") == "/m/raw_lookup":
            _only(method, "GET")
            return await run(api.raw_lookup, query)
        if path.rstrip("/") == "/m/lookup":
            if method == "GET":
                return await run(api.lookup, query)
            _only(method, "POST")
            return await self._lookup_post(request, query, run)
        raise ApiError(404, f"no such endpoint {path}")

    async def _lookup_post(self, request, query: dict[str, str], run) -> Any:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ApiError(400, "Missing multipart/form-data file upload")
        body = await self._body(request, self.max_upload)
        from starlette.requests import Request

        async def replay() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, replay).form(max_files=2, max_fields=20)
        try:
            files = [(k, v) for k, v in form.multi_items() if hasattr(v, "read")]
            if not files:
                raise ApiError(400, "Missing multipart/form-data file upload")
            if len(files) > 1:
                raise ApiError(400, "Only one file allowed per request")
            field, upload = files[0]
            if field not in PHOTO_FIELDS:
                raise ApiError(400, f"imgcheck hashes photos only: send the file as the 'photo' field, not {field!r}")
            data = await upload.read()
            return await run(api_lookup_photo, self.api, data, upload.filename or "upload", query)
        finally:
            await form.close()


def api_lookup_photo(api: HmaApi, data: bytes, name: str, query: dict[str, str]) -> dict[str, Any]:
    return api.lookup_photo(data, name, query)


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise ApiError(405, f"use {allowed}")
