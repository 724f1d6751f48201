"""Fit, calibrate and evaluate the face-level GAN head on the cached crops of tools/aipix_faces.py.

  python tools/aipix_facefit.py fit [--json F] [--write]     # leave-one-source-out, Platt, flag_at, tables
  python tools/aipix_facefit.py sweep                        # feature sets x L2 x train views

Roles (docs/ai_detector_data.md):
- train: the train sources of the corpus (BaseMax StyleGAN faces, the ComfyUI package, vladmandic/human
  AI people; real: LFW subset, human samples, face-api.js, CodeFormer inputs, Ultra-Light images,
  opencv-doc, Debian wallpapers, insightface, and the FFHQ-layout crops of their real faces). Each is
  also held out in turn (leave-one-source-out) for its own figures.
- calibration: one half (by key) of tharunnayak14's StyleGAN2 faces (``tpdne_hard``) and of its real
  Unsplash faces (``unsplash_faces``), and BSDS500: fit the Platt map and, with the leave-one-source-out
  real faces, pick ``flag_at`` (above every one of their real faces plus a margin). Never trained on.
- test: the other halves, LFW (``lfw_full``, people not in the LFW train subset), ../shared/data and the
  4 BaseMax fixture files: they pick nothing.
Every face is cut by the same FFHQ-aligned inner crop, real and generated alike; the real train sources
include FFHQ-layout crops of real faces, and every test face is cut the same way.
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

# the same calibration/test split and the same standardised logistic fit as the whole-image head
from aipix_fit import (  # noqa: E402,F401
    CALIBRATION_SOURCES, EVAL_VIEWS, SPLIT_SOURCES, fit_raw, platt, sample_weights)

FEATURES = Path("/work/data/aipix2/facefeat")
TRAIN_VIEWS = ["upload"]
L2 = 10.0
#: faces further than this from the FFHQ layout are left out of training and evaluation: the head is
#: the face part of the layout rule (measured: trained on all faces, it added nothing to the image
#: head on faces on the layout; trained on faces on the layout, AUC 0.978 vs 0.86 there)
LAYOUT_MAX = 0.06
FEATURE_SET = "emb"
MIN_FLAG_AT = 0.5
FLAG_MARGIN = 0.01
MAX_FLAG_AT = 0.999
HEAD_FILE = "gan_face_head.onnx"
HEAD_ID = "gan_face_head"


def load(features: Path, feature_set: str):
    """rows, and per (key, view) the usable faces: list of (x, eye_px)."""
    rows = json.loads((features / "rows.json").read_text())
    feats: dict[tuple[str, str], list[np.ndarray]] = {}
    for r in rows:
        for v in ("upload", "harsh", "random", "given"):
            f = features / f"{r['key']}_{v}.npz"
            if not f.exists():
                continue
            z = np.load(f)
            xs = []
            if "lm" not in z.files:
                continue
            for i in range(len(z["meta"])):
                eye_px, outside, scale, score = z["meta"][i]
                if gan_face.MIN_EYE_PX > eye_px or outside > gan_face.MAX_OUTSIDE:
                    continue
                lm = z["lm"][i].reshape(6, 2)
                lay = geo.centred_crop_layout(tuple(lm[0]), tuple(lm[1]), int(z["img_w"]), int(z["img_h"]))
                if lay is None or lay.distance > LAYOUT_MAX:
                    continue  # the head reads faces on the FFHQ layout only (where the check runs it)
                x = {"emb": z["emb"][i], "res": z["res"][i]}.get(feature_set)
                if x is None:
                    x = np.concatenate([z["emb"][i], z["res"][i]])
                xs.append(x)
            feats[(r["key"], v)] = xs
    return rows, feats


def design(rows, feats, views, sources, all_faces=True):
    xs, ys, gs, ss = [], [], [], []
    for r in rows:
        if r["source"] not in sources:
            continue
        for v in views:
            for x in (feats.get((r["key"], v)) or [])[: None if all_faces else 1]:
                xs.append(x)
                ys.append(1.0 if r["label"] == "ai" else 0.0)
                gs.append(r["key"])
                ss.append(r["source"])
    x, y, g, s = np.array(xs), np.array(ys), np.array(gs), np.array(ss)
    return x, y, sample_weights(y, g, s)


def first_logit(model, feats, key, view):
    xs = feats.get((key, view))
    if not xs:
        return None
    return float(xs[0] @ model[0] + model[1])


def run_fit(rows, feats, train_src, l2):
    oof = {}
    for held in train_src:
        x, y, w = design(rows, feats, TRAIN_VIEWS, [s for s in train_src if s != held])
        if len(set(y)) < 2:
            continue
        model = fit_raw(x, y, w, l2)
        for r in rows:
            if r["source"] == held:
                for v in EVAL_VIEWS:
                    z = first_logit(model, feats, r["key"], v)
                    if z is not None:
                        oof[(r["key"], v)] = z
    x, y, w = design(rows, feats, TRAIN_VIEWS, train_src)
    final = fit_raw(x, y, w, l2)
    final_logit = {}
    for r in rows:
        if r["role"] == "eval":
            for v in EVAL_VIEWS:
                z = first_logit(final, feats, r["key"], v)
                if z is not None:
                    final_logit[(r["key"], v)] = z
    cal_rows, cal_keys, calib = platt(rows, final_logit)
    cal_set = {r["key"] for r in cal_rows}

    def scored(keys_logit, subset):
        out = []
        for r in subset:
            for v in EVAL_VIEWS:
                z = keys_logit.get((r["key"], v))
                if z is None:
                    continue
                p = float(1 / (1 + np.exp(-(z * calib[0] + calib[1]))))
                out.append(evaluation.Scored(p, r["label"], r["source"], r["kind"] if r["label"] == "ai" else "",
                                             True, v))
        return out

    test_rows = [r for r in rows if r["role"] == "eval" and r["key"] not in cal_set]
    train_rows = [r for r in rows if r["source"] in train_src]
    s_test = scored(final_logit, test_rows)
    s_cal = scored({k: final_logit[k] for k in cal_keys}, cal_rows)
    s_loso = scored(oof, train_rows)
    real_pick = [s.probability for s in s_cal + s_loso if s.label == "real"]
    flag_at = round(min(MAX_FLAG_AT, max(MIN_FLAG_AT, max(real_pick) + FLAG_MARGIN)), 4)
    return {"final": final, "calib": calib, "test": s_test, "cal": s_cal, "loso": s_loso, "flag_at": flag_at,
            "x": x, "n_cal": len(cal_keys)}


def summary(res) -> dict:
    out = {"flag_at": res["flag_at"]}
    for part in ("test", "cal", "loso"):
        rep = evaluation.report(res[part], res["flag_at"])
        out[part] = {ch: {"auc": c["auc"], "n_real": c["n_real"], "n_ai": c["n_ai"], "real_flagged": c["real_flagged"],
                          "upper95": c["real_flag_rate_upper95"],
                          "gens": {k: (v["n"], v["flagged_share"], v["auc_vs_all_real"]) for k, v in c["generators"].items()},
                          "real_max": {k: v["max"] for k, v in c["real_sources"].items()}}
                     for ch, c in rep["chains"].items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["fit", "sweep"])
    ap.add_argument("--features", default=str(FEATURES))
    ap.add_argument("--feature-set", choices=["emb", "res", "emb+res"], default=FEATURE_SET)
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--train-views", default=",".join(TRAIN_VIEWS))
    ap.add_argument("--json", default=None)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    TRAIN_VIEWS[:] = [v for v in args.train_views.split(",") if v]
    if args.step == "sweep":
        for fs in ("emb", "emb+res"):
            rows, feats = load(Path(args.features), fs)
            train_src = sorted({r["source"] for r in rows if r["role"] == "train"})
            for l2 in (3.0, 10.0, 30.0, 100.0, 300.0):
                res = run_fit(rows, feats, train_src, l2)
                s = summary(res)
                up = s["test"].get("upload", {})
                print(json.dumps({"features": fs, "l2": l2, "flag_at": s["flag_at"], "test_upload_auc": up.get("auc"),
                                  "test_upload_gens": up.get("gens"), "real_flagged": up.get("real_flagged"),
                                  "n_real": up.get("n_real"),
                                  "harsh_auc": s["test"].get("harsh", {}).get("auc"),
                                  "harsh_gens": s["test"].get("harsh", {}).get("gens")}), flush=True)
        return
    rows, feats = load(Path(args.features), args.feature_set)
    train_src = sorted({r["source"] for r in rows if r["role"] == "train"})
    res = run_fit(rows, feats, train_src, args.l2)
    flag_at = res["flag_at"]
    rep = {"flag_at": flag_at, "feature_set": args.feature_set, "l2": args.l2, "train_views": TRAIN_VIEWS,
           "roles": {"train": train_src,
                     "calibration": sorted(CALIBRATION_SOURCES) + [f"{s} (half)" for s in SPLIT_SOURCES],
                     "test": sorted({r["source"] for r in rows if r["role"] == "eval"} - set(CALIBRATION_SOURCES))},
           "calibration_fit": {"a": res["calib"][0], "b": res["calib"][1], "n": res["n_cal"]}}
    for part, title in (("test", "test part (never trained on, picked nothing)"),
                        ("loso", "train sources, leave-one-source-out"),
                        ("cal", "calibration part (fitted the Platt map, picked flag_at; not a test)")):
        r = evaluation.report(res[part], flag_at)
        rep[part] = r["chains"]
        print(f"\n== {title}:")
        print(evaluation.format_report(r))
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=1))
    if args.write:
        a, c = res["calib"]
        wf, bf = res["final"][0] * a, res["final"][1] * a + c
        head = headlib.LinearHead(weight=wf, bias=float(bf))
        models = REPO / "models"
        (models / HEAD_FILE).write_bytes(headlib.to_onnx_bytes(head))
        man = json.loads((models / "manifest.json").read_text())
        keep = {k: v for k, v in man["models"].get(HEAD_ID, {}).items() if k == "layout_rule"}
        man["models"][HEAD_ID] = keep | {
            "file": HEAD_FILE, "sha256": hashlib.sha256((models / HEAD_FILE).read_bytes()).hexdigest(),
            "source": "fitted by tools/aipix_facefit.py on the face crops (tools/aipix_faces.py) of the train "
                      "sources of docs/ai_detector_data.md",
            "licence": "MIT (imgcheck)",
            "task": "StyleGAN-family face probability of the aligned inner face crop (logistic head, Platt-calibrated)",
            "rebuild": "python tools/aipix_faces.py && python tools/aipix_facefit.py fit --write",
            "encoder": "clip_vit_b16_int8", "features": ["face_clip_embed"], "input_size": [len(wf)],
            "normalisation": "folded into the weights", "min_eye_px": gan_face.MIN_EYE_PX,
            "reads": "faces within the layout rule's tolerance of the FFHQ layout only; it never flags alone "
                     "(its own line, above every calibration and held-out-source real face, would be "
                     f"{flag_at}): it speaks through layout_rule (tools/aipix_fusion.py)", "crop": {"inner": gan_face.INNER, "side": gan_face.CROP_SIDE},
            "calibration_fit": rep["calibration_fit"],
            "evaluation": {"roles": rep["roles"], "flag_at": flag_at,
                           "calibration_upload": rep["test"]["upload"]["calibration"],
                           **{f"{p}_part": {ch: {k: v for k, v in cc.items() if k != "calibration"}
                                            for ch, cc in rep[p].items()} for p in ("test", "loso", "cal")}}}
        (models / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")
        print(f"wrote {models / HEAD_FILE} (flag_at {flag_at})", file=sys.stderr)


if __name__ == "__main__":
    main()
