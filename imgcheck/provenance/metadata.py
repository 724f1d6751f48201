"""Put the metadata readers together: everything a file says about how it was made.

``analyse`` returns AI-generation findings (ordered from the most to the least decisive: signed C2PA,
IPTC digital source type and AI-system fields, structural generator metadata, a named generator in a
software field) and, separately, camera context (EXIF make/model, C2PA capture actions), which is
reported but never counts as proof that a photo is real: metadata is copied and forged trivially.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from imgcheck.provenance import c2pa_manifest, containers, exif, generators, stealth, xmp
from imgcheck.provenance.c2pa_manifest import AI_SOURCE_TYPES, CAPTURE_SOURCE_TYPES, C2paSummary
from imgcheck.provenance.generators import Finding

#: XMP fields passed through the generator rules (local name -> display name)
_XMP_TEXT_FIELDS = ("CreatorTool", "Software", "Make", "Model", "Credit", "description", "UserComment",
                    "ImageDescription", "Source", "title")


_UNNAMED = "an undisclosed"


@dataclass(frozen=True)
class ProvenanceResult:
    findings: tuple[Finding, ...]
    camera: dict[str, str]                   # context only
    source_types: tuple[str, ...]            # every digital source type declared (XMP and C2PA)
    c2pa: C2paSummary
    blocks: dict[str, int]                   # how many EXIF / XMP / text blocks were read
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ai(self) -> bool:
        return bool(self.findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.generator, f.where, f.rule)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


#: actions that only carry content over (opening, converting a file): the agent that performed them is
#: rarely the one that generated anything, so an AI source type on them ranks after one on a real step
_CARRY_ACTIONS = frozenset({"c2pa.opened", "c2pa.converted", "c2pa.transcoded", "c2pa.repackaged",
                            "c2pa.published", "c2pa.edited.metadata"})


def _declaring_first(act: c2pa_manifest.C2paAction) -> tuple[int, int]:
    """Sort key: an action whose agent is a known generator (Firefly) before an editor's (Photoshop),
    a generating step before one that merely opened a file."""
    named = generators.match_name(act.software_agent or act.generator or "")
    return (0 if named else 1, 1 if act.action in _CARRY_ACTIONS else 0)


def _c2pa_findings(summary: C2paSummary) -> list[Finding]:
    out = []
    for act in sorted(summary.ai_actions, key=_declaring_first):
        gen = act.software_agent or (summary.claim_generators[0] if summary.claim_generators else "")
        via = summary.claim_generators[0] if summary.claim_generators else ""
        name = gen if not via or via == gen else f"{gen} (via {via})"
        out.append(Finding(name or _UNNAMED + " AI generator", f"C2PA manifest action '{act.action}'",
                           "c2pa_" + act.source_type, "", f"digitalSourceType {act.source_type}; "
                           f"{summary.signer_text()}"))
    return out


def _xmp_findings(fields: dict[str, list[str]]) -> tuple[list[Finding], list[str], dict[str, str]]:
    findings: list[Finding] = []
    camera: dict[str, str] = {}
    types = [xmp.source_type_name(v) for v in fields.get("DigitalSourceType", [])]
    system = " ".join(x for x in (fields.get("AISystemUsed", [""])[0], fields.get("AISystemVersionUsed", [""])[0])
                      if x).strip()
    tool = (fields.get("CreatorTool") or fields.get("Software") or [""])[0]
    if system:
        findings.append(Finding(system[:120], "XMP Iptc4xmpExt:AISystemUsed", "iptc_ai_system", "",
                                generators._excerpt("; ".join(fields.get("AIPromptInformation", [])) or system)))
    for t in types:
        if t in AI_SOURCE_TYPES:
            named = system or (generators.match_name(tool) if tool else None) or tool
            findings.append(Finding((named or _UNNAMED + " AI generator")[:120],
                                    "XMP Iptc4xmpExt:DigitalSourceType", "iptc_" + t, "", t))
    for name in _XMP_TEXT_FIELDS:
        for v in fields.get(name, [])[:4]:
            findings += generators.analyse_field("XMP", name, v)
    if "digitalCapture" in types or "computationalCapture" in types:
        camera["xmp_source_type"] = next(t for t in types if t in CAPTURE_SOURCE_TYPES)
    return findings, types, camera


def analyse(data: bytes, fmt: str, c2pa_context: Any | None) -> ProvenanceResult:
    """Read every provenance source of one file. Never raises for malformed metadata."""
    blocks = containers.extract(data, fmt)
    notes = list(blocks.notes)
    findings: list[Finding] = []
    camera: dict[str, str] = {}
    source_types: list[str] = []

    summary = C2paSummary(present=False)
    if blocks.has_c2pa_marker and c2pa_context is not None:
        summary = c2pa_manifest.read(data, fmt, c2pa_context)
        if summary.present and not summary.readable:
            notes.append(f"a C2PA manifest is present but cannot be read ({summary.error})")
        findings += _c2pa_findings(summary)
        source_types += [a.source_type for a in summary.actions if a.source_type]
        cap = summary.capture_actions
        if cap and not summary.ai_actions:
            camera["c2pa_capture"] = (f"{cap[0].source_type} declared by "
                                      f"{cap[0].software_agent or ', '.join(summary.claim_generators) or 'an app'}; "
                                      f"{summary.signer_text()}")

    xmp_packets = list(blocks.xmp)
    exif_texts: list[containers.TextField] = []
    for blob in blocks.exif[:8]:
        fields, embedded_xmp = exif.read_fields(blob)
        if embedded_xmp:
            xmp_packets.append(embedded_xmp[:containers.MAX_XMP_BYTES].decode("utf-8", errors="replace"))
        exif_texts += [containers.TextField("EXIF", k, v) for k, v in fields.items()]
    for packet in xmp_packets[:8]:
        f, types, cam = _xmp_findings(xmp.read_fields(packet))
        findings += f
        source_types += types
        camera.update(cam)

    hidden: list[containers.TextField] = []
    if fmt == "PNG":    # A1111 / NovelAI "stealth pnginfo" in the pixels' low bits, read like text chunks
        hidden, stealth_notes = stealth.read(data)
        notes += stealth_notes
    findings += generators.analyse_texts(list(blocks.texts) + exif_texts + hidden)
    exif_map = {t.key: t.value for t in exif_texts}
    tool_hits = {f.where for f in findings}
    make, model = exif_map.get("Make", ""), exif_map.get("Model", "")
    if (make or model) and not ({"EXIF 'Make'", "EXIF 'Model'"} & tool_hits):
        camera["exif_camera"] = " ".join(dict.fromkeys(x for x in (make, model) if x))[:120]
        if exif_map.get("LensModel"):
            camera["exif_lens"] = exif_map["LensModel"][:120]
        if exif_map.get("DateTimeOriginal"):
            camera["exif_datetime_original"] = exif_map["DateTimeOriginal"][:40]
    order = {"c2pa": 0, "iptc": 1, "named_tool": 3, "platform_label": 3}   # a stable sort keeps the C2PA order
    findings = sorted(_dedupe(findings), key=lambda f: order.get(f.rule.split("_")[0], order.get(f.rule, 2)))
    named = next((f.generator for f in findings if not f.generator.startswith(_UNNAMED)), None)
    if named:   # a source-type declaration without a tool name takes the name other metadata gives
        findings = [replace(f, generator=named) if f.generator.startswith(_UNNAMED) else f for f in findings]
    return ProvenanceResult(
        findings=tuple(findings), camera=camera, source_types=tuple(dict.fromkeys(source_types)), c2pa=summary,
        blocks={"exif": len(blocks.exif), "xmp": len(xmp_packets), "text": len(blocks.texts),
                "stealth": len(hidden)},
        notes=tuple(notes))
