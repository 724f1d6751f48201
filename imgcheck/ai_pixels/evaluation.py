"""Figures of the pixel detector on labelled images, broken down so that a source cannot hide a failure.

Every scored image carries its label, its source (a package, a repository, a folder), its kind (the
generator for AI images) and whether a face was found. ``report`` gives, per upload chain: AUC overall
and on face photos, the flag rate of every real source and the catch rate of every generator at the
model's ``flag_at`` with a one-sided 95% upper bound on the false-flag rate (Clopper-Pearson), and a
calibration table (observed share of AI images per probability bin, equal class priors) with a
bootstrap band. ``format_report`` prints it. Pure numpy: the scores come from the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imgcheck.ai_pixels import head as headlib

CALIBRATION_EDGES: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


@dataclass(frozen=True)
class Scored:
    """One image's score under one chain."""

    probability: float
    label: str          # "real" or "ai"
    source: str
    kind: str = ""
    face: bool = False
    chain: str = "given"


def upper_bound(k: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen k times in n (exact binomial, bisection)."""
    if n <= 0:
        return 1.0
    if k >= n:
        return 1.0
    alpha = 1.0 - confidence
    lo, hi = k / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        # P(X <= k | n, mid)
        cdf = _binom_cdf(k, n, mid)
        if cdf > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def _binom_cdf(k: int, n: int, p: float) -> float:
    if p <= 0:
        return 1.0
    if p >= 1:
        return 0.0 if k < n else 1.0
    i = np.arange(k + 1)
    from math import lgamma

    logc = np.array([lgamma(n + 1) - lgamma(j + 1) - lgamma(n - j + 1) for j in i])
    return float(np.exp(logc + i * np.log(p) + (n - i) * np.log1p(-p)).sum())


def calibration_table(prob: np.ndarray, is_ai: np.ndarray, edges: Sequence[float] = CALIBRATION_EDGES,
                      boot: int = 200, seed: int = 0) -> list[dict]:
    """Per probability bin: n, mean predicted, observed AI share at equal priors, 5-95% bootstrap band."""
    prob, is_ai = np.asarray(prob, float), np.asarray(is_ai, bool)
    if len(prob) == 0 or is_ai.all() or (~is_ai).all():
        return []
    w = np.where(is_ai, 0.5 / is_ai.sum(), 0.5 / (~is_ai).sum())
    bins = np.clip(np.digitize(prob, edges[1:-1]), 0, len(edges) - 2)
    rng = np.random.default_rng(seed)
    idx_ai, idx_real = np.flatnonzero(is_ai), np.flatnonzero(~is_ai)

    def shares(sel: np.ndarray) -> np.ndarray:
        out = np.full(len(edges) - 1, np.nan)
        for b in range(len(edges) - 1):
            m = sel[bins[sel] == b]
            if len(m):
                out[b] = (w[m] * is_ai[m]).sum() / w[m].sum()
        return out

    base = shares(np.arange(len(prob)))
    draws = np.array([shares(np.concatenate([rng.choice(idx_ai, len(idx_ai)),
                                             rng.choice(idx_real, len(idx_real))]))
                      for _ in range(boot)])
    rows = []
    for b in range(len(edges) - 1):
        m = bins == b
        if not m.any():
            continue
        col = draws[:, b][~np.isnan(draws[:, b])]
        rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(m.sum()),
                     "mean_probability": round(float(prob[m].mean()), 3),
                     "observed_ai_share": round(float(base[b]), 3),
                     "band_5": round(float(np.percentile(col, 5)), 3) if len(col) else None,
                     "band_95": round(float(np.percentile(col, 95)), 3) if len(col) else None})
    return rows


def _auc(rows: list[Scored]) -> float | None:
    ai = np.array([r.probability for r in rows if r.label == "ai"])
    real = np.array([r.probability for r in rows if r.label == "real"])
    if len(ai) == 0 or len(real) == 0:
        return None
    return round(headlib.auc(ai, real), 4)


def report(scored: Sequence[Scored], flag_at: float, clear_below: float = 0.5) -> dict:
    """Figures per chain (see the module docstring)."""
    out: dict = {"flag_at": flag_at, "clear_below": clear_below, "chains": {}}
    for chain in sorted({s.chain for s in scored}):
        rows = [s for s in scored if s.chain == chain]
        real = [s for s in rows if s.label == "real"]
        ai = [s for s in rows if s.label == "ai"]
        k = sum(s.probability >= flag_at for s in real)
        kf = sum(s.probability >= flag_at for s in real if s.face)
        nf = sum(s.face for s in real)
        c: dict = {"n_real": len(real), "n_ai": len(ai), "auc": _auc(rows),
                   "auc_faces": _auc([s for s in rows if s.face]),
                   "real_flagged": k, "real_flag_rate_upper95": round(upper_bound(k, len(real)), 4),
                   "real_faces_flagged": kf, "real_faces": nf,
                   "real_faces_flag_rate_upper95": round(upper_bound(kf, nf), 4),
                   "ai_flagged_share": (round(float(np.mean([s.probability >= flag_at for s in ai])), 4)
                                        if ai else None)}
        per_source = {}
        for src in sorted({s.source for s in real}):
            sr = [s.probability for s in real if s.source == src]
            ks = sum(p >= flag_at for p in sr)
            per_source[src] = {"n": len(sr), "flagged": ks, "upper95": round(upper_bound(ks, len(sr)), 4),
                               "inconclusive": sum(clear_below <= p < flag_at for p in sr),
                               "max": round(max(sr), 4)}
        c["real_sources"] = per_source
        real_p = np.array([s.probability for s in real])
        per_gen = {}
        for kind in sorted({s.kind or s.source for s in ai}):
            ga = [s for s in ai if (s.kind or s.source) == kind]
            gp = np.array([s.probability for s in ga])
            per_gen[kind] = {"n": len(gp), "source": sorted({s.source for s in ga}),
                             "flagged_share": round(float((gp >= flag_at).mean()), 4),
                             "not_cleared_share": round(float((gp >= clear_below).mean()), 4),
                             "auc_vs_all_real": round(headlib.auc(gp, real_p), 4) if len(real_p) else None,
                             "median": round(float(np.median(gp)), 4)}
        c["generators"] = per_gen
        c["calibration"] = calibration_table(np.array([s.probability for s in rows]),
                                             np.array([s.label == "ai" for s in rows]))
        out["chains"][chain] = c
    return out


def format_report(rep: dict) -> str:
    """The report as plain-text tables."""
    lines = [f"flag at {rep['flag_at']:.3f}, clear below {rep['clear_below']:.2f}"]
    for chain, c in rep["chains"].items():
        auc = "n/a" if c["auc"] is None else f"{c['auc']:.3f}"
        aucf = "n/a" if c["auc_faces"] is None else f"{c['auc_faces']:.3f}"
        lines += ["", f"== chain: {chain} ({c['n_real']} real, {c['n_ai']} AI)",
                  f"AUC {auc}; AUC on face photos {aucf}",
                  f"real photos flagged: {c['real_flagged']} of {c['n_real']} (95% upper bound "
                  f"{c['real_flag_rate_upper95']:.2%}); with a face: {c['real_faces_flagged']} of "
                  f"{c['real_faces']} "
                  f"(upper bound {c['real_faces_flag_rate_upper95']:.2%})"]
        if c["real_sources"]:
            lines.append(f"{'real source':<28}{'n':>6}{'flagged':>9}{'upper95':>9}{'inconcl.':>9}"
                         f"{'max p':>8}")
            for src, r in c["real_sources"].items():
                lines.append(f"{src[:27]:<28}{r['n']:>6}{r['flagged']:>9}{r['upper95']:>9.2%}"
                             f"{r['inconclusive']:>9}{r['max']:>8.3f}")
        if c["generators"]:
            lines.append(f"{'generator':<44}{'n':>6}{'flagged':>9}{'AUC':>8}{'median':>8}")
            for g, r in c["generators"].items():
                a = "n/a" if r["auc_vs_all_real"] is None else f"{r['auc_vs_all_real']:.3f}"
                lines.append(f"{g[:43]:<44}{r['n']:>6}{r['flagged_share']:>9.1%}{a:>8}{r['median']:>8.3f}")
        if c["calibration"]:
            lines.append("calibration (equal priors): bin, n, mean p, observed AI share [5%, 95% bootstrap]")
            for r in c["calibration"]:
                lines.append(f"  {r['bin']:<9}{r['n']:>6}{r['mean_probability']:>8.3f}"
                             f"{r['observed_ai_share']:>8.3f}"
                             f"  [{r['band_5']}, {r['band_95']}]")
    return "\n".join(lines)
