"""Read C2PA manifests (Content Credentials) with c2pa-python and summarise what they declare.

The reader runs offline: remote manifest fetching and OCSP fetching are switched off. Signatures are
validated against the trust anchors the caller configures (none by default), so a manifest signed by
an unknown certificate is reported as "signed, signer not trusted", never hidden: a generator that
declares its output AI-made is evidence whoever signed it, and a camera or app that declares a
capture is only context, since anyone can sign anything with a certificate of their own.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from imgcheck.provenance.xmp import source_type_name

#: IPTC digital source types that say the pixels were made (wholly or partly) by a generative model
AI_SOURCE_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
                             "compositeSynthetic"})
#: source types that describe a capture by a camera (context only)
CAPTURE_SOURCE_TYPES = frozenset({"digitalCapture", "computationalCapture", "compositeCapture", "negativeFilm",
                                  "positiveFilm", "print"})
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff",
        "HEIF": "image/heif", "AVIF": "image/avif", "GIF": "image/gif",
        # video containers (imgcheck.video)
        "MP4": "video/mp4", "MOV": "video/quicktime", "AVI": "video/avi"}
MAX_MANIFESTS = 32
MAX_ACTIONS = 256


@dataclass(frozen=True)
class C2paAction:
    action: str
    source_type: str        # short IPTC name ("trainedAlgorithmicMedia"), "" when none
    software_agent: str
    manifest: str           # manifest label
    generator: str = ""     # claim generator of the manifest that holds the action


@dataclass(frozen=True)
class C2paStatus:
    """One validation status the reader reported, sorted into the kind a person cares about."""

    code: str               # the C2PA status code ("assertion.dataHash.mismatch"); "" when the reader refused
    kind: str               # content_hash | signature | certificate | identity | malformed | other
    failure: bool           # False for trust-list states ("...untrusted"): not on a list is not broken
    explanation: str = ""
    ingredient: bool = False    # reported for an earlier manifest (an ingredient), not the active one

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "failure": self.failure, "text": self.text(),
                "explanation": self.explanation, "ingredient": self.ingredient}

    def text(self) -> str:
        code = self.code
        if self.kind == "content_hash":
            what = "the image data no longer matches the signed content hash"
        elif self.kind == "signature":
            what = ("a signed assertion was changed after signing" if "hashedURI" in code or "assertion" in code
                    else "the signature does not validate")
        elif self.kind == "certificate":
            what = next((w for k, w in _CERT_WORDS if k in code.lower()), "the signing certificate is not valid")
        elif self.kind == "identity":
            what = ("the identity credential is not on the configured trust list" if not self.failure else
                    "an identity assertion (CAWG) does not validate" +
                    (f": {self.explanation[:120]}" if self.explanation else ""))
        elif self.kind == "malformed":
            what = ("the manifest data is malformed" if code or not self.explanation else
                    "the reader refused the manifest") + (f": {self.explanation[:160]}" if self.explanation else "")
        else:
            what = self.explanation[:160] or "a validation problem"
        where = " in an earlier manifest" if self.ingredient else ""
        return f"{what}{where}" + (f" ({code})" if code else "")


_CERT_WORDS = (("expired", "the signing certificate had expired"),
               ("revoked", "the signing certificate was revoked"),
               ("untrusted", "the signer is not on the configured trust list"),
               ("outsidevalidity", "the signature time is outside the certificate's validity"),
               ("timestamp", "the signature's time stamp does not validate"))
#: c2pa-rs reports these as "failures", but they only say the credential is not on a trust list
_TRUST_ONLY = ("signingCredential.untrusted", "cawg.x509.credential.untrusted", "cawg.ica.untrusted_issuer",
               "timeStamp.untrusted")
#: shown, in this order, in reasons and the summary
KIND_ORDER = ("content_hash", "signature", "certificate", "identity", "malformed", "other")


def status_kind(code: str) -> str:
    """content_hash | signature | certificate | identity | malformed | other, from a C2PA status code."""
    c = code.lower()
    if c.startswith("cawg."):
        return "identity"
    if "cbor.invalid" in c or "json.invalid" in c or "malformed" in c or "jumbf" in c or c.startswith("claim.cbor"):
        return "malformed"
    if any(h in c for h in ("datahash.", "bmffhash.", "boxeshash.", "collectionhash.")):
        return "content_hash"
    if c.startswith("claimsignature.") and "validity" in c:
        return "certificate"
    if c.startswith(("claimsignature.", "claim.", "assertion.hasheduri", "assertion.missing",
                     "assertion.notredacted", "assertion.undeclared", "assertion.inaccessible",
                     "assertion.outsidemanifest")):
        return "signature"
    if c.startswith(("signingcredential.", "timestamp.")):
        return "certificate"
    return "other"


def make_status(code: str, explanation: str = "", ingredient: bool = False) -> C2paStatus:
    return C2paStatus(code[:120], status_kind(code), code not in _TRUST_ONLY, explanation[:300], ingredient)


def reader_error_status(error: str) -> C2paStatus:
    """A manifest the reader refused: malformed data (never "broken": a refusal proves no edit), with the
    spec's code when the message names the part."""
    low = error.lower()
    code = ""
    if "cbor" in low:
        code = "claim.cbor.invalid" if "claim" in low and "assertion" not in low else "assertion.cbor.invalid"
    elif "json" in low and "assertion" in low:
        code = "assertion.json.invalid"
    return C2paStatus(code, "malformed", True, error[:300])


@dataclass(frozen=True)
class C2paManifestInfo:
    label: str
    generator: str
    signer: str
    actions: tuple[C2paAction, ...] = ()


@dataclass(frozen=True)
class C2paSummary:
    present: bool
    readable: bool = True
    claim_generators: tuple[str, ...] = ()      # active manifest first
    signer: str = ""                            # issuer / common name of the active manifest's signer
    validation_state: str = ""                  # "Trusted" | "Valid" | "Invalid" (c2pa-rs terms)
    trusted: bool = False
    failures: tuple[str, ...] = ()              # validation codes that are failures (not trust-list states)
    actions: tuple[C2paAction, ...] = ()
    error: str = ""
    statuses: tuple[C2paStatus, ...] = ()       # every non-success status, each code once
    chain: tuple[C2paManifestInfo, ...] = ()    # oldest ancestor first, the active manifest last
    success: tuple[str, ...] = ()               # the active manifest's success codes
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ai_actions(self) -> tuple[C2paAction, ...]:
        return tuple(a for a in self.actions if a.source_type in AI_SOURCE_TYPES)

    @property
    def capture_actions(self) -> tuple[C2paAction, ...]:
        return tuple(a for a in self.actions if a.source_type in CAPTURE_SOURCE_TYPES)

    @property
    def problems(self) -> tuple[C2paStatus, ...]:
        """Failures (not trust-list states), most serious kind first."""
        rank = {k: i for i, k in enumerate(KIND_ORDER)}
        return tuple(sorted((s for s in self.statuses if s.failure), key=lambda s: rank.get(s.kind, len(rank))))

    @property
    def broken(self) -> tuple[C2paStatus, ...]:
        """Failures that mean this file or its active manifest changed after signing (content hash,
        signature). An ingredient's old failure is listed among the problems but is not this file's."""
        return tuple(s for s in self.problems if s.kind in ("content_hash", "signature") and not s.ingredient)

    @property
    def untrusted(self) -> bool:
        return not self.trusted and any(s.code == "signingCredential.untrusted" for s in self.statuses)

    def trust_text(self) -> str:
        if not self.present:
            return ""
        if not self.readable:
            return "not checked (the manifest could not be read)"
        if self.trusted:
            return "trusted"
        if any(s.kind == "certificate" and s.failure for s in self.statuses):
            return "certificate not valid"
        return "not on the configured trust list"

    def signer_text(self) -> str:
        """"signed by X (trusted)" / "signed by X, a certificate not on ..." and the validation problems
        other than the content hash and signature (those are the ``broken`` finding, worded apart)."""
        who = self.signer or "an unnamed signer"
        text = f"signed by {who} (trusted)" if self.trusted else \
            f"signed by {who}, a certificate not on the configured trust list"
        others = self.other_problems()
        return text + ("; " + "; ".join(s.text() for s in others[:3]) if others else "")

    def other_problems(self) -> tuple[C2paStatus, ...]:
        """Problems that do not break the file: certificate, identity, malformed data, an ingredient's."""
        return tuple(s for s in self.problems if s not in self.broken)

    def outcome_by_kind(self) -> dict[str, dict[str, Any]]:
        """Each kind of validation -> {"outcome": ok | failed | untrusted | not present | not checked, "codes"}."""
        if not self.present:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for kind in KIND_ORDER[:-1]:
            mine = [s for s in self.statuses if s.kind == kind]
            codes = [s.code for s in mine if s.code]
            if not self.readable:
                outcome = "failed" if kind == "malformed" else "not checked"
            elif any(s.failure for s in mine):
                outcome = "failed"
            elif mine:
                outcome = "untrusted"
            elif kind == "identity" and not any(c.startswith("cawg.") for c in self.success):
                outcome = "not present"
            else:
                outcome = "ok"
            out[kind] = {"outcome": outcome, "codes": codes}
        return out

    def history(self) -> str:
        """The chain of actions in plain words: "captured with X, then cropped in Y"."""
        return history_text(self.chain)

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present, "readable": self.readable, "claim_generators": list(self.claim_generators),
            "signer": self.signer, "validation_state": self.validation_state, "trusted": self.trusted,
            "failures": list(self.failures), "error": self.error,
            "statuses": [s.to_dict() for s in self.statuses],
            "actions": [{"action": a.action, "digital_source_type": a.source_type,
                         "software_agent": a.software_agent, "manifest": a.manifest} for a in self.actions],
        }


#: action -> how it reads in a history ("cropped in X"); None: not worth a step of its own
_VERBS: dict[str, str | None] = {
    "c2pa.cropped": "cropped in", "c2pa.resized": "resized in", "c2pa.color_adjustments": "colour-adjusted in",
    "c2pa.edited": "edited in", "c2pa.filtered": "filtered in", "c2pa.orientation": "rotated in",
    "c2pa.placed": "had content placed in", "c2pa.removed": "had content removed in",
    "c2pa.converted": "converted by", "c2pa.transcoded": "re-encoded by", "c2pa.published": "published by",
    "c2pa.drawing": "drawn on in", "c2pa.repackaged": "repackaged by", "c2pa.watermarked": "watermarked by",
    "c2pa.redacted": "redacted in", "c2pa.edited.metadata": "metadata edited in", "c2pa.unknown": "changed in",
    "c2pa.opened": None,
}


def _step(act: C2paAction) -> str | None:
    who = act.software_agent or act.generator or "an unnamed app"
    name = act.action.removeprefix("c2pa.").replace("_", " ") if act.action.startswith("c2pa.") else act.action
    if act.source_type in CAPTURE_SOURCE_TYPES and act.action in ("c2pa.created", ""):
        return f"captured with {who}"
    if act.source_type in AI_SOURCE_TYPES:
        if act.action == "c2pa.created":
            return f"generated by {who}"
        return f"{_VERBS.get(act.action) or (name + ' in')} {who} (declared {act.source_type})"
    if act.action == "c2pa.created":
        return f"created with {who}"
    if act.action in _VERBS:
        verb = _VERBS[act.action]
        return f"{verb} {who}" if verb else None
    return f"{name[:40]} in {who}"


def history_text(chain: tuple[C2paManifestInfo, ...], max_steps: int = 8) -> str:
    steps: list[str] = []
    for info in chain:
        for act in info.actions:
            step = _step(act)
            if step is None and not steps:     # an "opened" that starts the story
                step = f"opened in {act.software_agent or act.generator or 'an unnamed app'}"
            elif step is None and act.source_type:
                who = act.software_agent or act.generator or "an unnamed app"
                step = f"opened in {who} (declared {act.source_type})"
            if step and (not steps or steps[-1] != step):
                steps.append(step)
    if not steps and chain:
        steps.append(f"signed by {chain[-1].generator or chain[-1].signer or 'an unnamed app'}")
    more = len(steps) - max_steps
    text = ", then ".join(steps[:max_steps])
    return text + (f", and {more} more step(s)" if more > 0 else "")


def make_context(trust_anchors_pem: str | None = None):
    """A c2pa Context for offline reading (owned by the caller, e.g. the check instance)."""
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors_pem:
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    return c2pa.Context.from_dict(settings)


def read(data: bytes, fmt: str, context) -> C2paSummary:
    """Summarise the manifest store of ``data``; never raises."""
    import c2pa

    mime = MIME.get(fmt)
    if mime is None:
        return C2paSummary(present=False)
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=context)
        if reader is None:   # the caller saw a JUMBF/C2PA marker, the reader no manifest store
            return C2paSummary(present=True, readable=False, error="no manifest store found", statuses=(
                C2paStatus("", "malformed", True, "C2PA/JUMBF data is present but holds no manifest store the "
                           "reader accepts"),))
        with reader:
            store = json.loads(reader.json())
    except Exception as exc:  # noqa: BLE001 - the native reader reports damage as many error types
        error = f"{type(exc).__name__.lstrip('_')}: {str(exc)[:200]}"
        return C2paSummary(present=True, readable=False, error=error, statuses=(reader_error_status(str(exc)),))
    return summarise(store)


def _name(agent: Any) -> str:
    if isinstance(agent, dict):
        name = str(agent.get("name") or "")
        ver = str(agent.get("version") or "")
        return f"{name} {ver}".strip()[:120]
    return str(agent or "")[:120]


def _signer(m: dict[str, Any]) -> str:
    sig = m.get("signature_info")
    if not isinstance(sig, dict):
        return ""
    parts = [str(sig.get(k) or "") for k in ("common_name", "issuer")]
    return " / ".join(dict.fromkeys(p for p in parts if p))[:160]


def _generator(m: dict[str, Any]) -> str:
    infos = m.get("claim_generator_info") or []
    # entries naming only the C2PA library that wrote the claim ("c2pa-rs 0.91") say nothing about the tool
    names = [_name(i) for i in infos if isinstance(i, dict)] if isinstance(infos, list) else []
    gen = ", ".join(n for n in names if n and not n.lower().startswith("c2pa"))
    return gen or str(m.get("claim_generator") or "")[:160]


def _actions(label: str, m: dict[str, Any], generator: str) -> list[C2paAction]:
    out: list[C2paAction] = []
    for a in m.get("assertions") or []:
        if not isinstance(a, dict) or not str(a.get("label", "")).startswith("c2pa.actions"):
            continue
        data = a.get("data") if isinstance(a.get("data"), dict) else {}
        acts = data.get("actions") if isinstance(data.get("actions"), list) else []
        for act in acts[:MAX_ACTIONS]:
            if not isinstance(act, dict):
                continue
            params = act.get("parameters") if isinstance(act.get("parameters"), dict) else {}
            dst = act.get("digitalSourceType") or params.get("digitalSourceType") or ""
            out.append(C2paAction(str(act.get("action", ""))[:80], source_type_name(str(dst or ""))[:80],
                                  _name(act.get("softwareAgent")), label, generator))
    return out


def _parent(m: dict[str, Any], manifests: dict[str, Any]) -> str | None:
    for ing in m.get("ingredients") or []:
        if isinstance(ing, dict) and ing.get("relationship") == "parentOf":
            label = ing.get("active_manifest")
            if isinstance(label, str) and label in manifests:
                return label
    return None


def _statuses(store: dict[str, Any]) -> tuple[C2paStatus, ...]:
    """Every non-success status, each code once: the active manifest's first, then the ingredients'."""
    found: list[C2paStatus] = []
    results = store.get("validation_results") if isinstance(store.get("validation_results"), dict) else {}
    active = results.get("activeManifest") if isinstance(results.get("activeManifest"), dict) else {}
    rows: list[tuple[dict, bool]] = [(r, False) for r in active.get("failure") or [] if isinstance(r, dict)]
    for delta in results.get("ingredientDeltas") or []:
        vd = delta.get("validationDeltas") if isinstance(delta, dict) else None
        if isinstance(vd, dict):
            rows += [(r, True) for r in vd.get("failure") or [] if isinstance(r, dict)]
    if not rows:   # older readers: a flat list
        rows = [(r, False) for r in store.get("validation_status") or [] if isinstance(r, dict)]
    seen: set[str] = set()
    for row, ingredient in rows[:64]:
        code = str(row.get("code") or "")
        if code and code not in seen:
            seen.add(code)
            found.append(make_status(code, str(row.get("explanation") or ""), ingredient))
    return tuple(found)


def summarise(store: dict[str, Any]) -> C2paSummary:
    """Pure part of ``read``: the manifest-store JSON of c2pa-rs -> C2paSummary."""
    manifests = store.get("manifests") or {}
    if not isinstance(manifests, dict):
        manifests = {}
    active = str(store.get("active_manifest") or "")
    order = ([active] if active in manifests else []) + [k for k in manifests if k != active]
    generators: list[str] = []
    actions: list[C2paAction] = []
    infos: dict[str, C2paManifestInfo] = {}
    for label in order[:MAX_MANIFESTS]:
        m = manifests.get(label)
        if not isinstance(m, dict):
            continue
        gen = _generator(m)
        if gen and gen not in generators:
            generators.append(gen)
        acts = _actions(label, m, gen)
        actions += acts
        infos[label] = C2paManifestInfo(label, gen, _signer(m), tuple(acts))
    chain: list[C2paManifestInfo] = []
    label: str | None = active if active in infos else None
    while label and label in infos and all(c.label != label for c in chain) and len(chain) < MAX_MANIFESTS:
        chain.append(infos[label])
        m = manifests.get(label)
        label = _parent(m, manifests) if isinstance(m, dict) else None
    signer = infos[active].signer if active in infos else ""
    state = str(store.get("validation_state") or "")
    statuses = _statuses(store)
    failures = tuple(s.code for s in statuses if s.failure)[:16]
    trusted = state == "Trusted" and not any(s.code.startswith("signingCredential.untrusted") for s in statuses)
    results = store.get("validation_results") if isinstance(store.get("validation_results"), dict) else {}
    active_results = results.get("activeManifest") if isinstance(results.get("activeManifest"), dict) else {}
    success = tuple(dict.fromkeys(str(r.get("code") or "") for r in (active_results.get("success") or [])[:64]
                                  if isinstance(r, dict)))
    return C2paSummary(present=True, claim_generators=tuple(generators), signer=signer, validation_state=state,
                       trusted=trusted, failures=failures, actions=tuple(actions), statuses=statuses,
                       chain=tuple(reversed(chain)), success=success)
