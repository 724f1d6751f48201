"""Recognise the metadata that image generators write, and name the generator.

Rules are kept as data (key names, value patterns, a name list) so a new generator is one line. Two
kinds of rule, chosen for precision on real photos:

- *structural*: the value has the shape only a generator writes (the AUTOMATIC1111 parameter line
  ``Steps: 30, Sampler: ...``, a ComfyUI node graph, a NovelAI request, a Midjourney job id). These
  fire on any field of any container: the shape itself is the evidence.
- *named tool*: a field whose meaning is "the software that made this" (EXIF Software, XMP
  CreatorTool, PNG Software/Source, IPTC AISystemUsed ...) names a known generator. Free-text fields
  (descriptions, comments) are *not* matched by name, since a real photo's caption may mention one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from imgcheck.provenance.containers import TextField

MAX_JSON_CHARS = 2_000_000


@dataclass(frozen=True)
class Finding:
    """One piece of AI-generation evidence found in metadata."""

    generator: str      # human name of the generator or tool ("ComfyUI", "Midjourney", ...)
    where: str          # where it was found ("PNG tEXt 'parameters'", "EXIF UserComment", ...)
    rule: str           # which rule matched ("a1111_parameters", "named_tool", ...)
    model: str = ""     # model / checkpoint when the metadata names one
    excerpt: str = ""   # a short excerpt of the matching value

    def to_dict(self) -> dict[str, str]:
        return {"generator": self.generator, "where": self.where, "rule": self.rule, "model": self.model,
                "excerpt": self.excerpt}


#: generator and AI-service names matched in "made by" fields (word boundaries, case-insensitive)
GENERATOR_NAMES: tuple[tuple[str, str], ...] = (
    (r"midjourney", "Midjourney"),
    (r"dall[\s\-·.]?e(?:\s?[23])?", "DALL-E"),
    (r"chatgpt|gpt-?4o|gpt-image-\d|openai", "OpenAI (ChatGPT / GPT image)"),
    (r"sora", "OpenAI Sora"),
    (r"stable[\s_-]?diffusion(?:[\s_-]?xl)?|sdxl|sd[\s_-]?(?:1\.5|2\.1|3\.5?)", "Stable Diffusion"),
    (r"stable[\s_-]?cascade", "Stable Cascade"),
    (r"dreamstudio", "DreamStudio (Stability AI)"),
    (r"stability[\s.]?ai", "Stability AI"),
    (r"(?:adobe\s+)?firefly", "Adobe Firefly"),
    (r"imagen\s?\d?|google\s+ai|nano[\s_-]?banana|gemini", "Google Imagen / Gemini"),
    (r"bing\s+image\s+creator|image\s+creator\s+from\s+(?:microsoft\s+)?designer|microsoft\s+designer",
     "Microsoft Designer / Bing Image Creator"),
    (r"leonardo(?:\.ai)?", "Leonardo.Ai"),
    (r"ideogram", "Ideogram"),
    (r"nightcafe", "NightCafe"),
    (r"craiyon", "Craiyon"),
    (r"runway(?:ml)?", "Runway"),
    (r"kling(?:\s?ai)?", "Kling"),
    (r"hailuo|minimax", "MiniMax Hailuo"),
    (r"flux(?:\.1)?(?:[\s_-]?(?:dev|schnell|pro|kontext))?|black\s+forest\s+labs", "FLUX (Black Forest Labs)"),
    (r"grok(?:\s+imagine)?|xai\s+aurora", "Grok (xAI)"),
    (r"qwen[\s_-]?image", "Qwen-Image"),
    (r"hidream", "HiDream"),
    (r"z[\s_-]?image(?:[\s_-]?turbo)?", "Z-Image"),
    (r"seedream|dreamina", "Seedream (ByteDance)"),
    (r"hunyuan[\s_-]?(?:image|dit)?", "Hunyuan Image"),
    (r"kandinsky", "Kandinsky"),
    (r"playground(?:\s?ai|\s?v[23])", "Playground"),
    (r"novelai", "NovelAI"),
    (r"comfyui", "ComfyUI"),
    (r"invokeai|invoke\s+ai", "InvokeAI"),
    (r"fooocus", "Fooocus"),
    (r"automatic1111|a1111|stable\s+diffusion\s+web\s?ui", "AUTOMATIC1111 Stable Diffusion web UI"),
    (r"sd\.next|vladmandic", "SD.Next"),
    (r"swarmui", "SwarmUI"),
    (r"diffusionbee", "DiffusionBee"),
    (r"draw\s+things", "Draw Things"),
    (r"krea(?:\.ai|\s+ai)?", "Krea"),
    (r"recraft", "Recraft"),
    (r"tensor\.art|seaart|pixai|civitai", "an online Stable Diffusion service"),
    (r"meta\s+ai|imagine\s+with\s+meta|imagined\s+with\s+ai", "Meta AI"),
    (r"artbreeder", "Artbreeder"),
    (r"stylegan\d?|this\s?person\s?does\s?not\s?exist|generated\.photos", "a GAN face generator"),
    (r"reve(?:\s+image)?", "Reve"),
    (r"luma(?:\s+ai|\s+photon)", "Luma AI"),
)
_NAME_RE = [(re.compile(r"(?<![\w])(?:" + pat + r")(?![\w])", re.IGNORECASE), name)
            for pat, name in GENERATOR_NAMES]

#: field names (lower case) whose meaning is "the software / system that made this image"
TOOL_FIELDS = frozenset({
    "software", "creatortool", "generator", "processingsoftware", "aisystemused", "aisystemversionused",
})
#: fields that usually name a tool or device, but may also hold a person's or agency's name
LOOSE_TOOL_FIELDS = frozenset({"source", "make", "model", "credit"})
#: names that are also given names or common words: matched only in TOOL_FIELDS
AMBIGUOUS_NAMES = frozenset({"OpenAI Sora", "Reve", "Runway", "FLUX (Black Forest Labs)", "Luma AI", "Krea",
                             "Google Imagen / Gemini", "Grok (xAI)", "Kling", "Playground", "Meta AI"})
#: exact labels that platforms put into credit/description fields of AI images
_LABEL_PHRASES = [(re.compile(r"made\s+with\s+google\s+ai", re.IGNORECASE), "Google AI (Imagen / Gemini)"),
                  (re.compile(r"imagined\s+with\s+ai", re.IGNORECASE), "Meta AI")]

_A1111 = re.compile(r"(?:^|[\n,]\s*)Steps:\s*\d+\s*,\s*(?:Sampler|CFG scale|Seed|Size|Model)\s*:", re.IGNORECASE)
_A1111_MODEL = re.compile(r"\bModel:\s*([^,\n]{1,120})")
_A1111_VERSION = re.compile(r"\bVersion:\s*([^,\n]{1,80})")
_MJ_JOB = re.compile(r"Job\s?ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_MJ_PARAMS = re.compile(r"(?:^|\s)--(?:v|version|niji|ar|aspect|stylize|chaos|sref|cref)\s+[\w.:]+", re.IGNORECASE)
_FOOOCUS = re.compile(r"\bfooocus\b", re.IGNORECASE)

INVOKEAI_KEYS = frozenset({"invokeai_metadata", "invokeai_graph", "invokeai_workflow", "sd-metadata", "dream"})
#: generation-parameter names; several of them together (as separate text keys or as JSON keys) are the
#: shape of a diffusion front end's metadata (Easy Diffusion, Draw Things, API wrappers ...)
PARAM_KEYS = frozenset({"prompt", "negative_prompt", "seed", "steps", "sampler", "sampler_name", "cfg_scale",
                        "guidance_scale", "num_inference_steps", "scheduler", "denoising_strength",
                        "use_stable_diffusion_model", "clip_skip", "cfg", "negativeprompt", "sampler_index"})
_CORE_PARAMS = frozenset({"seed", "steps", "sampler", "sampler_name", "cfg_scale", "guidance_scale",
                          "num_inference_steps", "cfg", "scheduler", "sampler_index"})


def _param_shape(keys: set[str]) -> bool:
    """At least three generation-parameter names, two of them sampler/seed/steps/guidance settings."""
    keys = {k.lower() for k in keys}
    return len(keys & PARAM_KEYS) >= 3 and len(keys & _CORE_PARAMS) >= 2


def _excerpt(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


def _loads(text: str) -> object | None:
    text = text.strip()
    if not text or text[0] not in "{[" or len(text) > MAX_JSON_CHARS:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def match_name(value: str, strict: bool = True) -> str | None:
    """The generator named in a "made by" field, or None (``strict=False`` skips ambiguous names)."""
    for rx, name in _NAME_RE:
        if (strict or name not in AMBIGUOUS_NAMES) and rx.search(value[:4000]):
            return name
    return None


def _comfy_model(graph: object) -> str:
    nodes = graph.values() if isinstance(graph, dict) else []
    for node in list(nodes)[:2000]:
        if isinstance(node, dict) and isinstance(node.get("inputs"), dict):
            for key in ("ckpt_name", "unet_name", "model_name"):
                val = node["inputs"].get(key)
                if isinstance(val, str):
                    return val[:120]
    return ""


def _is_comfy_graph(obj: object) -> bool:
    if isinstance(obj, dict):
        if "nodes" in obj and "links" in obj:
            return True
        vals = list(obj.values())[:200]
        return any(isinstance(v, dict) and "class_type" in v for v in vals)
    return False


def analyse_field(where: str, key: str, value: str) -> list[Finding]:
    """Findings for one named text value (PNG chunk, EXIF field, XMP property ...)."""
    found: list[Finding] = []
    k = key.strip().lower()
    v = value.strip()
    if not v:
        return found
    label = f"{where} '{key}'"

    # ComfyUI: API prompt / UI workflow graphs (PNG text), or "prompt:{...}" / "workflow:{...}" in EXIF
    comfy_text = v
    for prefix in ("workflow:", "prompt:"):
        if v[:len(prefix)].lower() == prefix:
            comfy_text = v[len(prefix):]
            k = prefix[:-1]
    if k in ("prompt", "workflow"):
        graph = _loads(comfy_text)
        if _is_comfy_graph(graph):
            found.append(Finding("ComfyUI", label, "comfyui_graph", _comfy_model(graph), _excerpt(comfy_text)))
            return found
    if k == "sui_image_params":
        found.append(Finding("SwarmUI", label, "swarmui_params", "", _excerpt(v)))
        return found

    # Fooocus (its own JSON scheme, or the A1111 scheme with a Fooocus version)
    if k == "fooocus_scheme" or (_FOOOCUS.search(v[:20000]) and (_A1111.search(v[:20000]) or _loads(v))):
        found.append(Finding("Fooocus", label, "fooocus_parameters", _param_model(v), _excerpt(v)))
        return found

    # AUTOMATIC1111 / Forge / SD.Next style parameter line
    if _A1111.search(v[:200000]):
        version = _A1111_VERSION.search(v)
        gen = "AUTOMATIC1111 Stable Diffusion web UI"
        if version and re.match(r"f\d", version.group(1).strip()):
            gen = "Stable Diffusion WebUI Forge (AUTOMATIC1111-style)"
        elif "sd.next" in v.lower() or "app: sd" in v.lower():
            gen = "SD.Next (AUTOMATIC1111-style)"
        elif "civitai" in v.lower():
            gen = "Civitai (AUTOMATIC1111-style Stable Diffusion parameters)"
        found.append(Finding(gen, label, "a1111_parameters", _param_model(v), _excerpt(v)))
        return found

    # InvokeAI
    if k in INVOKEAI_KEYS:
        found.append(Finding("InvokeAI", label, "invokeai_metadata", _invoke_model(v), _excerpt(v)))
        return found

    # NovelAI: Software "NovelAI", Source "NovelAI Diffusion ...", Comment {"uc": ..., "sampler": ...}
    if k in ("software", "source", "title") and "novelai" in v.lower():
        model = v if k == "source" else ""
        found.append(Finding("NovelAI", label, "novelai", model[:120], _excerpt(v)))
        return found
    if k == "comment":
        obj = _loads(v)
        if isinstance(obj, dict) and "uc" in obj and ("sampler" in obj or "steps" in obj):
            found.append(Finding("NovelAI", label, "novelai_request", "", _excerpt(v)))
            return found

    # JSON generation parameters of some other front end (Draw Things, API wrappers ...)
    obj = _loads(v) if v[:1] in "{[" and len(v) < 200_000 else None
    if isinstance(obj, dict) and _param_shape(set(obj)):
        gen = "Easy Diffusion" if "use_stable_diffusion_model" in obj else "an image generator"
        model = str(obj.get("model") or obj.get("use_stable_diffusion_model") or "")[:120]
        found.append(Finding(gen, label, "generation_parameters_json", model, _excerpt(v)))
        return found

    # Midjourney: "Job ID: <uuid>" in the description, or its prompt parameters in a description field
    if _MJ_JOB.search(v[:20000]) or (k in ("description", "imagedescription") and
                                      len(_MJ_PARAMS.findall(v[:20000])) >= 2):
        found.append(Finding("Midjourney", label, "midjourney_description", "", _excerpt(v)))
        return found

    # named tool in a "made by" field
    if k in TOOL_FIELDS or k in LOOSE_TOOL_FIELDS:
        name = match_name(v, strict=k in TOOL_FIELDS)
        if name:
            found.append(Finding(name, label, "named_tool", "", _excerpt(v)))
            return found
    for rx, name in _LABEL_PHRASES:
        if rx.search(v[:20000]):
            found.append(Finding(name, label, "platform_label", "", _excerpt(v)))
            break
    return found


def _param_model(text: str) -> str:
    m = _A1111_MODEL.search(text)
    if m:
        return m.group(1).strip()
    obj = _loads(text)
    if isinstance(obj, dict):
        for key in ("base_model", "Base Model", "model", "Model"):
            if isinstance(obj.get(key), str):
                return obj[key][:120]
    return ""


def _invoke_model(text: str) -> str:
    obj = _loads(text)
    if isinstance(obj, dict):
        model = obj.get("model")
        if isinstance(model, dict):
            return str(model.get("name") or model.get("model_name") or "")[:120]
        if isinstance(model, str):
            return model[:120]
        image = obj.get("image")
        if isinstance(image, dict) and isinstance(obj.get("model_weights"), str):
            return obj["model_weights"][:120]
    return ""


def analyse_texts(fields: list[TextField]) -> list[Finding]:
    out: list[Finding] = []
    for f in fields:
        out += analyse_field(f.where, f.key, f.value)
    # generation parameters written as separate text keys (Easy Diffusion writes one PNG chunk per setting)
    by_where: dict[str, dict[str, str]] = {}
    for f in fields:
        by_where.setdefault(f.where.split()[0], {})[f.key] = f.value
    for where, kv in by_where.items():
        if not out and _param_shape(set(kv)):
            lower = {k.lower(): v for k, v in kv.items()}
            gen = "Easy Diffusion" if "use_stable_diffusion_model" in lower else "an image generator"
            model = lower.get("use_stable_diffusion_model", lower.get("model", ""))[:120]
            keys = ", ".join(sorted(k for k in kv if k.lower() in PARAM_KEYS))
            out.append(Finding(gen, f"{where} text keys", "generation_parameters_keys", model, _excerpt(keys)))
    return out
