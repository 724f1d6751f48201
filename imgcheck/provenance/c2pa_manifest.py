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
        "HEIF": "image/heif", "AVIF": "image/avif", "GIF": "image/gif"}
MAX_MANIFESTS = 32
MAX_ACTIONS = 256


@dataclass(frozen=True)
class C2paAction:
    action: str
    source_type: str        # short IPTC name ("trainedAlgorithmicMedia"), "" when none
    software_agent: str
    manifest: str           # manifest label


@dataclass(frozen=True)
class C2paSummary:
    present: bool
    readable: bool = True
    claim_generators: tuple[str, ...] = ()      # active manifest first
    signer: str = ""                            # issuer / common name of the active manifest's signer
    validation_state: str = ""                  # "Trusted" | "Valid" | "Invalid" (c2pa-rs terms)
    trusted: bool = False
    failures: tuple[str, ...] = ()              # validation failure codes
    actions: tuple[C2paAction, ...] = ()
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ai_actions(self) -> tuple[C2paAction, ...]:
        return tuple(a for a in self.actions if a.source_type in AI_SOURCE_TYPES)

    @property
    def capture_actions(self) -> tuple[C2paAction, ...]:
        return tuple(a for a in self.actions if a.source_type in CAPTURE_SOURCE_TYPES)

    def signer_text(self) -> str:
        who = self.signer or "an unnamed signer"
        if self.trusted:
            return f"signed by {who} (trusted)"
        if self.validation_state == "Invalid":
            return f"signed by {who}; the signature or content hash does NOT validate ({', '.join(self.failures[:3])})"
        return f"signed by {who}, a certificate not on the configured trust list"

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present, "readable": self.readable, "claim_generators": list(self.claim_generators),
            "signer": self.signer, "validation_state": self.validation_state, "trusted": self.trusted,
            "failures": list(self.failures), "error": self.error,
            "actions": [{"action": a.action, "digital_source_type": a.source_type,
                         "software_agent": a.software_agent, "manifest": a.manifest} for a in self.actions],
        }


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
        if reader is None:
            return C2paSummary(present=False)
        with reader:
            store = json.loads(reader.json())
    except Exception as exc:  # noqa: BLE001 - the native reader reports damage as many error types
        return C2paSummary(present=True, readable=False, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return summarise(store)


def _name(agent: Any) -> str:
    if isinstance(agent, dict):
        name = str(agent.get("name") or "")
        ver = str(agent.get("version") or "")
        return f"{name} {ver}".strip()[:120]
    return str(agent or "")[:120]


def summarise(store: dict[str, Any]) -> C2paSummary:
    """Pure part of ``read``: the manifest-store JSON of c2pa-rs -> C2paSummary."""
    manifests = store.get("manifests") or {}
    if not isinstance(manifests, dict):
        manifests = {}
    active = str(store.get("active_manifest") or "")
    order = ([active] if active in manifests else []) + [k for k in manifests if k != active]
    generators: list[str] = []
    actions: list[C2paAction] = []
    for label in order[:MAX_MANIFESTS]:
        m = manifests.get(label)
        if not isinstance(m, dict):
            continue
        infos = m.get("claim_generator_info") or []
        # entries naming only the C2PA library that wrote the claim ("c2pa-rs 0.91") say nothing about the tool
        names = [_name(i) for i in infos if isinstance(i, dict)] if isinstance(infos, list) else []
        gen = ", ".join(n for n in names if n and not n.lower().startswith("c2pa"))
        gen = gen or str(m.get("claim_generator") or "")[:160]
        if gen and gen not in generators:
            generators.append(gen)
        for a in m.get("assertions") or []:
            if not isinstance(a, dict) or not str(a.get("label", "")).startswith("c2pa.actions"):
                continue
            data = a.get("data") if isinstance(a.get("data"), dict) else {}
            for act in (data.get("actions") or [])[:MAX_ACTIONS]:
                if not isinstance(act, dict):
                    continue
                params = act.get("parameters") if isinstance(act.get("parameters"), dict) else {}
                dst = act.get("digitalSourceType") or params.get("digitalSourceType") or ""
                actions.append(C2paAction(str(act.get("action", ""))[:80], source_type_name(str(dst or ""))[:80],
                                          _name(act.get("softwareAgent")), label))
    sig = (manifests.get(active) or {}).get("signature_info") if active in manifests else None
    signer = ""
    if isinstance(sig, dict):
        parts = [str(sig.get(k) or "") for k in ("common_name", "issuer")]
        signer = " / ".join(dict.fromkeys(p for p in parts if p))[:160]
    state = str(store.get("validation_state") or "")
    statuses = store.get("validation_status") or []
    failures = tuple(str(s.get("code", "")) for s in statuses if isinstance(s, dict))[:16]
    trusted = state == "Trusted" and not any(c.startswith("signingCredential.untrusted") for c in failures)
    return C2paSummary(present=True, claim_generators=tuple(generators), signer=signer, validation_state=state,
                       trusted=trusted, failures=failures, actions=tuple(actions))
