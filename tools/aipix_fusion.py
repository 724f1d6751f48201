"""Fit and evaluate the FFHQ-layout rule of the ai_pixels check (imgcheck.ai_pixels.gan_face.LayoutRule).

The rule applies only to a photo whose main face sits on the FFHQ layout (eyes within ``tolerance`` of
where StyleGAN/FFHQ put them, the photo read as a centred crop of a square: ``centred_crop_layout``).
There it fuses the whole-image head (models/ai_pixels_head.onnx) and the face head
(models/gan_face_head.onnx, tools/aipix_facefit.py) into one probability:
``sigmoid(wi * logit(p_image) + wf * logit(p_face) + b)``.

Roles (cached views of tools/aipix_faces.py; nothing here trains the two heads):
- calibration (fit wi, wf, b on the faces on the layout, and pick ``flag_at`` above every real one of
  them plus a margin): one half of ``tpdne_hard`` (the half the whole-image head's Platt map used),
  one half by parent photo of ``unsplash_faces`` and ``unsplash_ffhq``, one half by person of
  ``lfw_full`` and ``lfw_ffhq``, and ``bsds500``;
- test (picks nothing): the other halves, ``shared_data``, ``shared_ffhq`` and the 4 BaseMax fixtures.
The ``*_ffhq`` sources are real faces cut by the FFHQ rule, so on the layout by construction: they are
what keeps the layout from being read as proof.

  python tools/aipix_fusion.py [--json F] [--write]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from imgcheck.ai_pixels import evaluation, gan_face  # noqa: E402
from imgcheck.ai_pixels import head as headlib  # noqa: E402
from imgcheck.faces import gan_geometry as geo  # noqa: E402

FEATURES = Path("/work/data/aipix2/facefeat")
TOLERANCE = 0.03
FLAG_MARGIN = 0.02
MIN_FLAG_AT = 0.5
VIEWS = ("upload", "harsh", "given")


def split_key(r: dict) -> str:
    """What a calibration/test half is decided on: the parent photo, or the person for LFW."""
    if r["source"] in ("lfw_full", "lfw_ffhq"):
        return hashlib.sha1(r["group"].encode()).hexdigest()
    return r.get("parent_key", r["key"])


def is_calibration(r: dict) -> bool:
    if r["source"] == "bsds500":
        return True
    if r["source"] in ("tpdne_hard", "unsplash_faces", "unsplash_ffhq", "lfw_full", "lfw_ffhq"):
        return int(split_key(r)[-1], 16) % 2 == 0
    return False


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def records(features: Path, models: Path) -> list[dict]:
    import onnxruntime as ort

    img_head = ort.InferenceSession(str(models / "ai_pixels_head.onnx"), providers=["CPUExecutionProvider"])
    face_head = ort.InferenceSession(str(models / "gan_face_head.onnx"), providers=["CPUExecutionProvider"])
    rows = json.loads((features / "rows.json").read_text())
    out = []
    for r in rows:
        if r["role"] != "eval":
            continue
        for v in VIEWS:
            f = features / f"{r['key']}_{v}.npz"
            if not f.exists():
                continue
            z = np.load(f)
            if "lm" not in z.files:
                continue
            rec = {"source": r["source"], "label": r["label"], "kind": r.get("kind", ""), "view": v,
                   "key": r["key"], "calibration": is_calibration(r), "layout": None, "p_image": None,
                   "p_face": None, "face": len(z["lm"]) > 0}
            if len(z["lm"]):
                lm = z["lm"][0].reshape(6, 2)
                lay = geo.centred_crop_layout(tuple(lm[0]), tuple(lm[1]), int(z["img_w"]), int(z["img_h"]))
                rec["layout"] = None if lay is None else float(lay.distance)
            if len(z["meta"]) and "img_emb" in z.files:
                eye_px, outside = z["meta"][0][:2]
                if eye_px >= gan_face.MIN_EYE_PX and outside <= gan_face.MAX_OUTSIDE:
                    xf = z["emb"][0][None].astype(np.float32)
                    rec["p_face"] = float(face_head.run(None, {face_head.get_inputs()[0].name: xf})[0][0, 0])
                xi = np.concatenate([z["img_emb"], z["img_res"]])[None].astype(np.float32)
                rec["p_image"] = float(img_head.run(None, {img_head.get_inputs()[0].name: xi})[0][0, 0])
            out.append(rec)
    return out


def on_layout(rec: dict, tol: float) -> bool:
    return rec["layout"] is not None and rec["layout"] <= tol and rec["p_face"] is not None \
        and rec["p_image"] is not None


def fit_rule(recs: list[dict], tol: float) -> gan_face.LayoutRule:
    cal = [q for q in recs if q["calibration"] and on_layout(q, tol) and q["view"] in ("upload", "harsh")]
    x = np.array([[logit(q["p_image"]), logit(q["p_face"])] for q in cal])
    y = np.array([1.0 if q["label"] == "ai" else 0.0 for q in cal])
    w, b = headlib.fit_logistic(x, y, l2=1e-2, sample_weight=headlib.balanced_weights(y.astype(int)))
    rule = gan_face.LayoutRule(tolerance=tol, image_weight=float(w[0]), face_weight=float(w[1]), bias=float(b),
                               flag_at=1.0)
    real = [rule.probability(q["p_image"], q["p_face"]) for q in cal if q["label"] == "real"]
    flag_at = round(min(0.999, max(MIN_FLAG_AT, max(real) + FLAG_MARGIN)), 4)
    return gan_face.LayoutRule(tol, rule.image_weight, rule.face_weight, rule.bias, flag_at)


def table(recs: list[dict], rule: gan_face.LayoutRule) -> dict:
    """Per view and source: images, faces on the layout, flagged by the rule (with bounds for real)."""
    out: dict = {}
    for v in VIEWS:
        part = [q for q in recs if q["view"] == v]
        if not part:
            continue
        by: dict = {}
        for q in part:
            by.setdefault(q["source"], []).append(q)
        rows = {}
        for src, qs in sorted(by.items()):
            on = [q for q in qs if on_layout(q, rule.tolerance)]
            flagged = [q for q in on if rule.probability(q["p_image"], q["p_face"]) >= rule.flag_at]
            rows[src] = {"label": qs[0]["label"], "n": len(qs), "on_layout": len(on), "flagged": len(flagged),
                         "flagged_share": round(len(flagged) / len(qs), 4),
                         "upper95": round(evaluation.upper_bound(len(flagged), len(qs)), 4)}
        real = [q for q in part if q["label"] == "real"]
        k = sum(on_layout(q, rule.tolerance) and rule.probability(q["p_image"], q["p_face"]) >= rule.flag_at
                for q in real)
        scored = [evaluation.Scored(rule.probability(q["p_image"], q["p_face"]), q["label"], q["source"],
                                    q["kind"], True, v) for q in part if on_layout(q, rule.tolerance)]
        out[v] = {"sources": rows, "real": len(real), "real_flagged": k,
                  "real_upper95": round(evaluation.upper_bound(k, len(real)), 4),
                  "auc_on_layout": evaluation._auc(scored),
                  "calibration_on_layout": evaluation.calibration_table(
                      np.array([s.probability for s in scored]), np.array([s.label == "ai" for s in scored]))}
    return out


def format_table(t: dict, title: str) -> str:
    lines = [f"== {title}"]
    for v, c in t.items():
        lines.append(f"-- chain {v}: real flagged {c['real_flagged']} of {c['real']} (95% upper bound "
                     f"{c['real_upper95']:.2%}); AUC of the fused score on faces on the layout {c['auc_on_layout']}")
        lines.append(f"{'source':<18}{'label':>6}{'n':>6}{'on layout':>11}{'flagged':>9}{'share':>8}{'upper95':>9}")
        for s, r in c["sources"].items():
            lines.append(f"{s:<18}{r['label']:>6}{r['n']:>6}{r['on_layout']:>11}{r['flagged']:>9}"
                         f"{r['flagged_share']:>8.1%}{r['upper95']:>9.2%}")
    return "\n".join(lines)


def combined_auc(recs: list[dict], features: Path, models: Path) -> dict:
    """AUC of both parts as the check decides (the larger of the two strengths, each line at 0.5) on the
    test part, upload chain, StyleGAN2 vs every test real photo; the whole-image head alone beside it.
    Views off the layout carry no image score in the face cache: it comes from tools/aipix_features.py's
    cache when there, else is computed here (CLIP + residuals of the upload view)."""
    import onnxruntime as ort

    from imgcheck.ai_pixels import chain, features as feat
    from imgcheck.strength import SCALES, grade

    man = json.loads((models / "manifest.json").read_text())["models"]
    rule = gan_face.LayoutRule.from_spec(man[gan_face.HEAD_ID])
    img_flag = float(man["ai_pixels_head"]["flag_at"])
    rows = {r["key"]: r for r in json.loads((features / "rows.json").read_text())}
    head = ort.InferenceSession(str(models / "ai_pixels_head.onnx"), providers=["CPUExecutionProvider"])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    clip = ort.InferenceSession(str(models / "clip_vit_b16_image.u8u8.onnx"), opts, providers=["CPUExecutionProvider"])
    both, alone = {"ai": [], "real": []}, {"ai": [], "real": []}
    for q in recs:
        if q["calibration"] or q["view"] != "upload" or (q["label"] == "ai" and q["source"] != "tpdne_hard"):
            continue
        p = q["p_image"]
        if p is None:
            cached = Path("/work/data/aipix/features") / f"{q['key']}_upload.npz"
            if cached.exists():
                z = np.load(cached)
                x = np.concatenate([z["emb"], z["res"]])
            else:
                v = chain.named_view(chain.read_rgb(rows[q["key"]]["file"]), "upload")
                e, _ = feat.clip_features(clip, v)
                x = np.concatenate([e, feat.residual_features(v)])
            p = float(head.run(None, {head.get_inputs()[0].name: x[None].astype(np.float32)})[0][0, 0])
        s = s_img = grade(p, img_flag, SCALES["ai_pixels"])
        if on_layout(q, rule.tolerance):
            s = max(s, grade(rule.probability(q["p_image"], q["p_face"]), rule.flag_at, SCALES["ai_pixels"]))
        both[q["label"]].append(s)
        alone[q["label"]].append(s_img)
    return {"n_real": len(both["real"]), "n_ai": len(both["ai"]),
            "auc_both_parts": round(headlib.auc(np.array(both["ai"]), np.array(both["real"])), 4),
            "auc_image_head_alone": round(headlib.auc(np.array(alone["ai"]), np.array(alone["real"])), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", default=str(FEATURES))
    ap.add_argument("--models", default=str(REPO / "models"))
    ap.add_argument("--tolerance", type=float, default=TOLERANCE)
    ap.add_argument("--json", default=None)
    ap.add_argument("--write", action="store_true", help="store the rule in the gan_face_head manifest entry")
    ap.add_argument("--combined", action="store_true", help="also the AUC of both parts as the check decides")
    args = ap.parse_args()
    recs = records(Path(args.features), Path(args.models))
    rule = fit_rule(recs, args.tolerance)
    print(json.dumps({"rule": rule.__dict__}))
    test = [q for q in recs if not q["calibration"]]
    cal = [q for q in recs if q["calibration"]]
    t_test, t_cal = table(test, rule), table(cal, rule)
    print(format_table(t_test, "test part (picked nothing)"))
    print(format_table(t_cal, "calibration part (fitted the fusion, picked flag_at; not a test)"))
    rep = {"rule": rule.__dict__, "test": t_test, "calibration": t_cal,
           "roles": {"calibration": "halves of tpdne_hard, unsplash_faces/_ffhq (by photo), lfw_full/_ffhq "
                                    "(by person); bsds500",
                     "test": "the other halves; shared_data, shared_ffhq; the 4 BaseMax fixtures"}}
    if args.combined:
        rep["combined_test_upload"] = combined_auc(recs, Path(args.features), Path(args.models))
        print(json.dumps({"combined_test_upload": rep["combined_test_upload"]}))
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=1))
    if args.write:
        man_path = Path(args.models) / "manifest.json"
        man = json.loads(man_path.read_text())
        entry = man["models"][gan_face.HEAD_ID]
        entry["layout_rule"] = {k: round(v, 6) for k, v in rule.__dict__.items()}
        entry.setdefault("evaluation", {})["layout_rule"] = {
            "roles": rep["roles"],
            "test": {v: {k: c[k] for k in ("real", "real_flagged", "real_upper95", "auc_on_layout", "sources")}
                     for v, c in t_test.items()},
            "calibration_on_layout_upload": t_test.get("upload", {}).get("calibration_on_layout", [])}
        entry["rebuild"] = ("python tools/aipix_faces.py && python tools/aipix_facefit.py fit --write && "
                            "python tools/aipix_fusion.py --write")
        man_path.write_text(json.dumps(man, indent=2) + "\n")
        print(f"wrote the layout rule into {man_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
