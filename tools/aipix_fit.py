"""Fit, evaluate and calibrate the pixel detector's head on the corpus features (tools/aipix_features.py).

  python tools/aipix_fit.py evaluate [--head models/ai_pixels_head.onnx]   # figures of a fitted head
  python tools/aipix_fit.py fit [--write]                                  # leave-one-source-out, final head

Roles (tools/aipix_corpus.py, docs/ai_detector_data.md):
- train sources fit the head; each is also held out in turn (leave-one-SOURCE-out): a head fitted on
  the other train sources scores it, and those out-of-source scores are what the tables report for it
  and what Platt calibration is fitted on;
- calibration sources (CALIBRATION_SOURCES, eval role) never train; with the out-of-source real photos
  they pick ``flag_at``: above every one of them;
- test sources (the other eval sources) never train and never pick anything: their figures are the
  held-out result.
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

from imgcheck.ai_pixels import evaluation  # noqa: E402
from imgcheck.ai_pixels import head as headlib  # noqa: E402

FEATURES = Path("/work/data/aipix/features")
#: views that train the head: the random chains were measured and dropped (held-out AUC 0.940 vs 0.953)
TRAIN_VIEWS = ["upload"]
EVAL_VIEWS = ("upload", "harsh", "given")
CALIBRATION_SOURCES = ("bsds500",)
#: eval sources split in two by a fixed hash: one half calibrates, the other half is the test
SPLIT_SOURCES = ("tpdne_hard", "unsplash_faces")


def is_calibration(r: dict) -> bool:
    if r["source"] in CALIBRATION_SOURCES:
        return True
    return r["source"] in SPLIT_SOURCES and int(r["key"][-1], 16) % 2 == 0
L2 = 10.0
#: total weight of a source inside its class, from its image count (measured: sqrt, see the card)
SOURCE_WEIGHT = np.sqrt
MIN_FLAG_AT = 0.9
FLAG_MARGIN = 0.02
MAX_FLAG_AT = 0.999
HEAD_FILE = "ai_pixels_head.onnx"


def load(features: Path) -> tuple[list[dict], dict[tuple[str, str], dict]]:
    rows = json.loads((features / "rows.json").read_text())
    feats = {}
    for r in rows:
        for v in ("upload", "random", "harsh", "given"):
            f = features / f"{r['key']}_{v}.npz"
            if f.exists():
                z = np.load(f)
                feats[(r["key"], v)] = {"x": np.concatenate([z["emb"], z["res"]]), "faces": int(z["faces"]),
                                        "face_frac": float(z["face_frac"]), "side": int(min(z["h"], z["w"]))}
    return rows, feats


def design(rows, feats, views, sources=None, sl=slice(None)):
    """(X, y, sample weight, group) over the given views; each source weighs sqrt(n) inside its class."""
    xs, ys, gs, ss = [], [], [], []
    for r in rows:
        if sources is not None and r["source"] not in sources:
            continue
        for v in views:
            f = feats.get((r["key"], v))
            if f is not None:
                xs.append(f["x"][sl])
                ys.append(1.0 if r["label"] == "ai" else 0.0)
                gs.append(r["key"])
                ss.append(r["source"])
    x, y, g, s = np.array(xs), np.array(ys), np.array(gs), np.array(ss)
    return x, y, sample_weights(y, g, s), g


def sample_weights(y: np.ndarray, groups: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Each image (group of rows) weighs 1 in all, each source SOURCE_WEIGHT(its images) inside its
    class, and the two classes weigh the same."""
    w = np.ones(len(y))
    for key in np.unique(groups):
        m = groups == key
        w[m] = 1.0 / m.sum()
    for c in (0.0, 1.0):
        for src in np.unique(sources[y == c]):
            m = (y == c) & (sources == src)
            w[m] *= SOURCE_WEIGHT(len(np.unique(groups[m]))) / w[m].sum()
        m = y == c
        if m.any():
            w[m] *= (len(y) / 2) / w[m].sum()
    return w


def platt(rows: list[dict], final_logit: dict) -> tuple[list[dict], list, tuple[float, float]]:
    """Platt calibration of the final head's logits on the calibration part of the eval sources (upload
    and harsh views, equal priors): (its rows, the (key, view) pairs used, (scale, offset))."""
    cal_rows = [r for r in rows if is_calibration(r)]
    cal_keys = [(r["key"], v) for r in cal_rows for v in ("upload", "harsh") if (r["key"], v) in final_logit]
    lab = {r["key"]: r["label"] for r in cal_rows}
    zc = np.array([final_logit[k] for k in cal_keys])
    yc = np.array([1.0 if lab[k[0]] == "ai" else 0.0 for k in cal_keys])
    a, c = headlib.fit_logistic(zc[:, None], yc, l2=1e-3, sample_weight=headlib.balanced_weights(yc.astype(int)))
    return cal_rows, cal_keys, (float(a[0]), float(c))


def fit_raw(x, y, w, l2=L2):
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-6
    wt, b = headlib.fit_logistic((x - mu) / sd, y, l2=l2, sample_weight=w)
    return wt / sd, float(b - (mu / sd) @ wt)


def logits(model, x):
    return x @ model[0] + model[1]


def scored_of(rows, feats, keys_logit: dict, calib, views):
    """evaluation.Scored for every (row, view) with a logit."""
    a, c = calib
    out = []
    for r in rows:
        for v in views:
            z = keys_logit.get((r["key"], v))
            if z is None:
                continue
            f = feats[(r["key"], v)]
            p = float(1 / (1 + np.exp(-(z * a + c))))
            out.append(evaluation.Scored(p, r["label"], r["source"], r["kind"] if r["label"] == "ai" else "",
                                         f["faces"] > 0, v))
    return out


def run_fit(rows, feats, train_src, l2: float, n_feat: int | None = None) -> dict:
    """Leave-one-source-out logits, final head, Platt map and flag_at for features [:n_feat]."""
    sl = slice(0, n_feat)
    # leave-one-source-out over the train sources
    oof: dict[tuple[str, str], float] = {}
    for held in train_src:
        others = [s for s in train_src if s != held]
        x, y, w, _ = design(rows, feats, TRAIN_VIEWS, others, sl)
        if len(set(y)) < 2:
            continue
        model = fit_raw(x, y, w, l2)
        for r in rows:
            if r["source"] == held:
                for v in EVAL_VIEWS:
                    f = feats.get((r["key"], v))
                    if f is not None:
                        oof[(r["key"], v)] = float(logits(model, f["x"][sl]))
        print(f"held out {held}", file=sys.stderr, flush=True)
    # final head on every train source; its logits on the eval sources
    x, y, w, _ = design(rows, feats, TRAIN_VIEWS, train_src, sl)
    final = fit_raw(x, y, w, l2)
    final_logit = {}
    for r in rows:
        if r["role"] == "eval":
            for v in EVAL_VIEWS:
                f = feats.get((r["key"], v))
                if f is not None:
                    final_logit[(r["key"], v)] = float(logits(final, f["x"][sl]))
    # Platt calibration on the calibration part of the eval sources (never trained on), equal priors
    cal_rows, cal_keys, calib = platt(rows, final_logit)
    test_logit = {k: z for k, z in final_logit.items() if k[0] not in {r["key"] for r in cal_rows}}
    scored = scored_of(rows, feats, {**oof, **test_logit}, calib, EVAL_VIEWS)
    cal_scored = scored_of(cal_rows, feats, {k: final_logit[k] for k in cal_keys}, calib, ("upload", "harsh"))
    # flag_at: above every real photo of the calibration part (real sources the head never saw) and every
    # real photo of a train source scored by the head fitted without that source
    cal_real = [s.probability for s in cal_scored if s.label == "real"]
    cal_real += [s.probability for s in scored if s.label == "real" and s.source in train_src]
    flag_at = round(min(MAX_FLAG_AT, max(MIN_FLAG_AT, max(cal_real) + FLAG_MARGIN)), 4)
    return {"oof": oof, "final": final, "calib": calib, "scored": scored, "cal_scored": cal_scored,
            "flag_at": flag_at, "x": x, "n_cal": len(cal_keys)}


def markdown(rep: dict) -> str:
    """The card's tables (models/MODELS.md) from a fit report (--json)."""
    out = []
    for part, title in (("test_part", "Test part (never trained on, picked nothing)"),
                        ("loso_part", "Train sources, leave-one-source-out"),
                        ("calibration_set", "Calibration part (fitted the Platt map, picked flag_at)")):
        out += [f"**{title}**, flag_at {rep['flag_at']}:", "",
                "| chain | real | AI | AUC | AUC faces | real flagged (95% bound) | AI flagged |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for ch, c in rep[part].items():
            ai = "n/a" if c["ai_flagged_share"] is None else f"{c['ai_flagged_share']:.1%}"
            out.append(f"| {ch} | {c['n_real']} | {c['n_ai']} | {c['auc'] if c['auc'] is not None else 'n/a'} | "
                       f"{c['auc_faces'] if c['auc_faces'] is not None else 'n/a'} | {c['real_flagged']} "
                       f"(<= {c['real_flag_rate_upper95']:.2%}) | {ai} |")
        out.append("")
        for ch, c in rep[part].items():
            if c["real_sources"]:
                out += [f"Real sources, chain `{ch}`:", "", "| source | n | flagged | 95% bound | inconclusive | max p |",
                        "| --- | --- | --- | --- | --- | --- |"]
                out += [f"| `{k}` | {v['n']} | {v['flagged']} | {v['upper95']:.2%} | {v['inconclusive']} | "
                        f"{v['max']:.3f} |" for k, v in c["real_sources"].items()]
                out.append("")
            if c["generators"]:
                out += [f"Generators, chain `{ch}`:", "", "| generator (source) | n | flagged | not cleared (>= 0.5) "
                        "| AUC vs all real | median p |", "| --- | --- | --- | --- | --- | --- |"]
                out += [f"| {k} (`{', '.join(v['source'])}`) | {v['n']} | {v['flagged_share']:.1%} | "
                        f"{v.get('not_cleared_share', float('nan')):.1%} | {v['auc_vs_all_real']} | {v['median']:.3f} |"
                        for k, v in c["generators"].items()]
                out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["fit", "evaluate", "sweep", "tables", "families"])
    ap.add_argument("--features-set", choices=["all", "clip"], default="all")
    ap.add_argument("--features", default=str(FEATURES))
    ap.add_argument("--head", default=str(REPO / "models" / HEAD_FILE), help="head to evaluate")
    ap.add_argument("--flag-at", type=float, default=0.9)
    ap.add_argument("--write", action="store_true", help="write the fitted head and its manifest entry")
    ap.add_argument("--json", default=None)
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--train-views", default=",".join(TRAIN_VIEWS), help="views that train (comma-separated)")
    args = ap.parse_args()
    TRAIN_VIEWS[:] = [v for v in args.train_views.split(",") if v]
    if args.step == "tables":
        print(markdown(json.loads(Path(args.json).read_text())))
        return
    rows, feats = load(Path(args.features))
    train_src = sorted({r["source"] for r in rows if r["role"] == "train"})

    if args.step == "evaluate":
        import onnxruntime as ort

        sess = ort.InferenceSession(args.head, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        keys = [k for k in feats]
        xs = np.array([feats[k]["x"] for k in keys], dtype=np.float32)
        p = sess.run(None, {name: xs})[0].reshape(-1).astype(np.float64)
        z = np.log(np.clip(p, 1e-9, 1 - 1e-9) / np.clip(1 - p, 1e-9, 1))
        rep = evaluation.report(scored_of(rows, feats, dict(zip(keys, z)), (1.0, 0.0), EVAL_VIEWS), args.flag_at)
        print(evaluation.format_report(rep))
        if args.json:
            Path(args.json).write_text(json.dumps(rep, indent=1))
        return

    if args.step == "families":
        # diffusion generators one family at a time: a head fitted without that family of the ComfyUI
        # package (all other sources in) scores it; the real photos are the test part and the
        # leave-one-source-out real photos, each scored by a head that never saw them
        res = run_fit(rows, feats, train_src, args.l2)
        a, c = res["calib"]
        real_loso = np.array([s_.probability for s_ in res["scored"] if s_.label == "real" and s_.chain == "upload"])
        comfy = [r for r in rows if r["source"] == "comfyui_media_image"]
        table = {}
        for fam in sorted({r["kind"] for r in comfy}):
            keep = [r for r in rows if not (r["source"] == "comfyui_media_image" and r["kind"] == fam)]
            x, y, w, _ = design(keep, feats, TRAIN_VIEWS, train_src)
            model = fit_raw(x, y, w, args.l2)
            z = np.array([logits(model, feats[(r["key"], "upload")]["x"]) for r in comfy
                          if r["kind"] == fam and (r["key"], "upload") in feats])
            p_ = 1 / (1 + np.exp(-(z * a + c)))
            table[fam] = {"n": len(p_), "auc_vs_heldout_real": round(headlib.auc(p_, real_loso), 4),
                          "not_cleared": round(float((p_ >= 0.5).mean()), 4),
                          "flagged": round(float((p_ >= res["flag_at"]).mean()), 4), "median": round(float(np.median(p_)), 3)}
            print(fam, json.dumps(table[fam]), flush=True)
        allp = np.array([v["auc_vs_heldout_real"] for v in table.values()])
        print(f"held-out real photos: {len(real_loso)}; mean family AUC {allp.mean():.3f}; flag_at {res['flag_at']}")
        return
    if args.step == "sweep":
        for n_feat, name in ((None, "clip_embed+residual"), (512, "clip_embed")):
            for l2 in (10.0, 30.0, 100.0, 300.0):
                res = run_fit(rows, feats, train_src, l2, n_feat)
                rep = evaluation.report(res["scored"], res["flag_at"])
                up = rep["chains"]["upload"]
                loso = [s_ for s_ in res["scored"] if s_.chain == "upload" and s_.source in train_src]
                tp = [s_.probability for s_ in res["scored"] if s_.chain == "upload" and s_.source == "tpdne_hard"]
                us = [s_.probability for s_ in res["scored"] if s_.chain == "upload" and s_.source == "unsplash_faces"]
                print(json.dumps({"features": name, "l2": l2, "flag_at": res["flag_at"],
                                  "loso_auc": evaluation._auc(loso),
                                  "tpdne_vs_unsplash_auc": round(headlib.auc(np.array(tp), np.array(us)), 4),
                                  "test_auc_upload": up["auc"], "real_flagged": up["real_flagged"],
                                  "n_real": up["n_real"],
                                  "tpdne_flagged": round(float(np.mean(np.array(tp) >= res["flag_at"])), 4)}),
                      flush=True)
        return
    res = run_fit(rows, feats, train_src, args.l2, None if args.features_set == "all" else 512)
    oof, final, calib, scored, cal_scored, flag_at, x = (res[k] for k in ("oof", "final", "calib", "scored",
                                                                           "cal_scored", "flag_at", "x"))
    zc = np.zeros(res["n_cal"])
    rep = evaluation.report(scored, flag_at)
    rep["roles"] = {"train": train_src,
                    "calibration": sorted(CALIBRATION_SOURCES) + [f"{s} (half)" for s in SPLIT_SOURCES],
                    "test": sorted({r["source"] for r in rows if r["role"] == "eval"} - set(CALIBRATION_SOURCES))
                    + [], "train_figures": "leave-one-source-out (each train source scored by a head without it)"}
    rep["calibration_fit"] = {"a": calib[0], "b": calib[1], "n": len(zc)}
    rep["calibration_set"] = evaluation.report(cal_scored, flag_at)["chains"]
    test_scored = [s_ for s_ in scored if s_.source not in train_src]
    rep["test_part"] = evaluation.report(test_scored, flag_at)["chains"]
    loso_scored = [s_ for s_ in scored if s_.source in train_src]
    rep["loso_part"] = evaluation.report(loso_scored, flag_at)["chains"]
    print("== test part (never trained on, picked nothing):")
    print(evaluation.format_report({"flag_at": flag_at, "clear_below": 0.5, "chains": rep["test_part"]}))
    print("\n== train sources, leave-one-source-out (each scored by a head fitted without its source):")
    print(evaluation.format_report({"flag_at": flag_at, "clear_below": 0.5, "chains": rep["loso_part"]}))
    print("\n== calibration part (picked the Platt map and flag_at; not a test):")
    print(evaluation.format_report({"flag_at": flag_at, "clear_below": 0.5, "chains": rep["calibration_set"]}))
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=1))
    if args.write:
        wf, bf = final[0] * calib[0], final[1] * calib[0] + calib[1]
        head = headlib.LinearHead(weight=wf, bias=float(bf))
        models = REPO / "models"
        (models / HEAD_FILE).write_bytes(headlib.to_onnx_bytes(head))
        man = json.loads((models / "manifest.json").read_text())
        entry = man["models"]["ai_pixels_head"]
        entry["sha256"] = hashlib.sha256((models / HEAD_FILE).read_bytes()).hexdigest()
        entry["flag_at"] = flag_at
        # average per-block logit terms over the training images: the zero of "which part spoke"
        n_emb = 512
        entry["features"] = ["clip_embed", "residual"] if args.features_set == "all" else ["clip_embed"]
        entry["input_size"] = [len(wf)]
        entry["reference_logits"] = {"clip_embed": round(float((x[:, :n_emb] @ wf[:n_emb]).mean()), 4)}
        if len(wf) > n_emb:
            entry["reference_logits"]["residual"] = round(float((x[:, n_emb:] @ wf[n_emb:]).mean()), 4)
        entry["calibration_fit"] = rep["calibration_fit"]
        entry["source"] = ("fitted by tools/aipix_fit.py on the train sources of tools/aipix_corpus.py and "
                           "tools/ai_detector_sources.py; see docs/ai_detector_data.md")
        entry["rebuild"] = "python tools/aipix_features.py && python tools/aipix_fit.py fit --write"
        entry["evaluation"] = {k: rep[k] for k in ("roles", "flag_at")} | {
            "calibration_upload": rep["test_part"]["upload"]["calibration"],
            "test_part": {ch: {k: v for k, v in cc.items() if k != "calibration"}
                          for ch, cc in rep["test_part"].items()},
            "loso_part": {ch: {k: v for k, v in cc.items() if k != "calibration"}
                          for ch, cc in rep["loso_part"].items()},
            "calibration_part": {ch: {k: v for k, v in cc.items() if k != "calibration"}
                                 for ch, cc in rep["calibration_set"].items()}}
        (models / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")
        print(f"wrote {models / HEAD_FILE} (flag_at {flag_at})", file=sys.stderr)


if __name__ == "__main__":
    main()
