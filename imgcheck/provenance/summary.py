"""The provenance summary of one file: what its Content Credentials and metadata say, in plain words.

Built from a ``metadata.ProvenanceResult``; the ``ai_provenance`` check puts it in its details
(``details["provenance"]``), the report repeats it at top level (``Report.to_dict()["provenance"]``)
and the app renders it as a card. Every validation problem keeps its C2PA status code.
"""

from __future__ import annotations

from typing import Any

from imgcheck.provenance.c2pa_manifest import C2paSummary
from imgcheck.provenance.metadata import ProvenanceResult


def capture_device(result: ProvenanceResult) -> str:
    """The camera or app that declared the capture (C2PA first, then EXIF make/model)."""
    cap = result.c2pa.capture_actions if result.c2pa.present else ()
    if cap:
        return cap[0].software_agent or cap[0].generator
    return result.camera.get("exif_camera", "")


def has_metadata(result: ProvenanceResult) -> bool:
    return result.c2pa.present or any(result.blocks.values())


def validation_outcome(c2pa: C2paSummary) -> str:
    """trusted | valid (signature and hashes check out, signer not on the trust list) | problems | unreadable."""
    if not c2pa.present:
        return ""
    if not c2pa.readable:
        return "unreadable"
    if c2pa.problems:
        return "problems"
    return "trusted" if c2pa.trusted else "valid"


def build(result: ProvenanceResult) -> dict[str, Any]:
    c2pa = result.c2pa
    active = c2pa.chain[-1] if c2pa.chain else None
    credentials = "absent" if not c2pa.present else ("present" if c2pa.readable else "unreadable")
    ai = c2pa.ai_actions if c2pa.present else ()
    return {
        "content_credentials": credentials,
        "signer": c2pa.signer or None,
        "signer_trusted": c2pa.trusted if c2pa.present and c2pa.readable else None,
        "trust": c2pa.trust_text() or None,
        "claim_generator": (active.generator if active else (c2pa.claim_generators[0] if c2pa.claim_generators
                                                              else "")) or None,
        "capture_device": capture_device(result) or None,
        "history": c2pa.history() or None,
        "validation": validation_outcome(c2pa) or None,
        "by_kind": c2pa.outcome_by_kind(),
        "problems": [s.to_dict() for s in c2pa.problems],
        "trust_states": [s.to_dict() for s in c2pa.statuses if not s.failure],
        "ai_declared": bool(ai),
        "metadata_present": has_metadata(result),
    }
