"""Provenance of a clip: the ``ai_provenance`` check itself on the file (C2PA manifests in MP4, MOV and
AVI through c2pa-python, XMP found in the file), plus the container's text metadata (encoder,
software, comment, title ...) read through the same generator rules as image metadata."""

from __future__ import annotations

from dataclasses import replace

from imgcheck.errors import InputError
from imgcheck.load import LoadedImage
from imgcheck.provenance import generators
from imgcheck.provenance.containers import TextField
from imgcheck.strength import measured
from imgcheck.types import Evidence
from imgcheck.video.decode import DEMUXERS, VideoSource, _open_container

NAME = "ai_provenance"
#: container and stream metadata keys passed to the generator rules
TEXT_KEYS = frozenset({"encoder", "encoded_by", "software", "comment", "description", "title", "artist",
                       "copyright", "com.apple.quicktime.software", "com.apple.quicktime.description",
                       "com.apple.quicktime.make", "com.apple.quicktime.model", "make", "model", "tool"})


class ClipFile(LoadedImage):
    """The clip's bytes presented to the file-level checks (they read metadata, never pixels)."""

    def __init__(self, src: VideoSource) -> None:
        super().__init__(src.data, src.source, src.info.format, src.info.width, src.info.height,
                         max(1, src.info.frames), src.sha256)

    def _decode(self, max_side):
        raise InputError(f"{self.source}: a clip's pixels are read frame by frame, not as one image")


def container_texts(src: VideoSource) -> list[TextField]:
    """Text metadata of the container and its streams (keys in ``TEXT_KEYS``)."""
    if src.info.format not in DEMUXERS:
        return []
    out: list[TextField] = []
    with _open_container(src.data, src.info.format, src.source) as c:
        metas = [("container", c.metadata)] + [(f"stream {i}", s.metadata) for i, s in enumerate(c.streams)]
        for where, meta in metas:
            for k, v in (meta or {}).items():
                if k.lower() in TEXT_KEYS and isinstance(v, str) and v.strip():
                    out.append(TextField(f"{src.info.format} {where}", k, v[:2000]))
    return out


def clip_provenance(file_evidence: Evidence, src: VideoSource) -> Evidence:
    """``file_evidence`` (the ai_provenance check run on the clip's bytes) completed with the container's
    text metadata: a generator named there flags ``ai_provenance`` too."""
    texts = container_texts(src)
    findings = generators.analyse_texts(texts)
    fields = {f"{t.where} {t.key}": t.value[:200] for t in texts}
    details = {**file_evidence.details, "container_metadata": fields,
               "container_findings": [f.to_dict() for f in findings]}
    if not findings or file_evidence.status == "flag" or file_evidence.status == "error":
        return replace(file_evidence, details=details)
    top = findings[0]
    names = list(dict.fromkeys(f.generator for f in findings))
    details["generators"] = names
    measure, strength = measured(NAME, len(findings), 1)
    return Evidence(NAME, "flag", f"AI-generation metadata in the clip: made with {top.generator} ({top.where})",
                    score=1.0, flags=("ai_provenance",), details=details, strength=strength, measure=measure)
