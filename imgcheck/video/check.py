"""Check a video clip with the image checks, over time.

One pass over the clip: sampled frames (``sample.py``) get face detection and embeddings, faces are
tracked (``track.py``), and a few frames are kept: the key frames (first of each shot, one every
``key_every_s``) and the best face crops of each track. Then the existing checks run, unchanged:

- ``known_face`` on the best frames of each track (its faces handed over through the check context,
  so nothing is detected twice); a track is named when most of those frames name the same person;
- ``known_image``, ``ai_watermark``, ``gan_face_geometry`` and ``ai_pixels`` on the key frames;
- ``ai_pixels`` on each track's face crops too, aggregated per track (median probability, read
  against the detector's own calibrated thresholds);
- ``ai_provenance`` on the file: C2PA in MP4/MOV/AVI (c2pa-python) and the container's text
  metadata through the same generator rules as image metadata;
- ``face_consistency``: an identity change of the main face (``track.py``) flags ``inconsistent_faces``.

The report is the image contract plus a ``video`` block (``VideoSummary``).
"""

from __future__ import annotations

import io
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
from PIL import Image

from imgcheck import verdict
from imgcheck.checks import FACE_OBSERVATIONS, FACES, Check, CheckContext, CheckServices
from imgcheck.errors import ImgcheckError
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence, ImageInfo, Match, Report, VideoSummary
from imgcheck.video.decode import VideoSource
from imgcheck.video.limits import Sampling
from imgcheck.video.sample import Sample, sample_frames
from imgcheck.video.track import Tracker



class Engine(CheckServices, Protocol):
    """What a clip needs of the Engine (which creates the VideoChecker; this module never imports it)."""

    def _check(self, name: str) -> Check: ...

#: checks run on key frames (in this order); ``ai_pixels`` also runs on face crops
FRAME_CHECKS = ("known_image", "ai_watermark", "gan_face_geometry", "ai_pixels")
CONSISTENCY = "face_consistency"

Progress = Callable[[float, str], None]


class FrameImage(LoadedImage):
    """A decoded video frame (or a face crop of one) presented to the image checks."""

    def __init__(self, rgb: np.ndarray, source: str, sha256: str) -> None:
        super().__init__(b"", source, "VIDEO_FRAME", rgb.shape[1], rgb.shape[0], 1, sha256)
        self._full = rgb

    def _decode(self, max_side: int | None) -> np.ndarray:
        from imgcheck.load import _resize_to

        return _resize_to(self._full, max_side)


@dataclass
class _Crop:
    quality: float
    time_s: float
    frame: int
    rgb: np.ndarray


@dataclass
class _Key:
    time_s: float
    frame: int
    shot: int
    rgb: np.ndarray


def face_crop(rgb: np.ndarray, box: tuple[int, int, int, int], scale: float = 2.2) -> np.ndarray | None:
    """A square crop around a face box (``scale`` times its side), clipped to the frame."""
    x, y, w, h = box
    side = scale * max(w, h)
    cx, cy = x + w / 2, y + h / 2
    H, W = rgb.shape[:2]
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(W, cx + side / 2)), int(min(H, cy + side / 2))
    if min(x1 - x0, y1 - y0) < 64:
        return None
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


def _jpeg(rgb: np.ndarray, width: int) -> bytes:
    im = Image.fromarray(rgb)
    im.thumbnail((width, width * 4))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=75)
    return buf.getvalue()


def _fmt_t(t: float) -> str:
    return f"{t:.1f} s"


def _span(a: float, b: float) -> str:
    return f"{a:.1f}-{b:.1f} s" if b - a >= 0.05 else f"{a:.1f} s"


class VideoChecker:
    """Runs one clip through the checks; create one per clip (``Engine.check_video`` does)."""

    def __init__(self, engine: Engine, names: Sequence[str], params: Sampling | None = None,
                 progress: Progress | None = None) -> None:
        self.engine = engine
        self.names = tuple(names)
        self.params = params or engine.settings.video_sampling
        self.progress = progress
        s = engine.settings
        self.tracker = Tracker(s.face_same_distance, s.face_different_distance,
                               min_eye_distance=s.face_min_eye_distance)

    # -- pass over the clip -------------------------------------------------------------------
    def _faces_wanted(self) -> bool:
        from imgcheck.faces import DETECTOR_ID, EMBEDDER_ID

        models = self.engine.models
        wanted = {"known_face", "ai_pixels", "gan_face_geometry"} & set(self.names)
        return bool(wanted) and models.has(DETECTOR_ID) and models.has(EMBEDDER_ID)

    def run(self, src: VideoSource, load_ms: float = 0.0) -> Report:
        p = self.params
        timings: dict[str, float] = {"load": load_ms}
        faces_on = self._faces_wanted()
        crops: dict[int, list[_Crop]] = {}
        keys: list[_Key] = []
        thumbs: list[tuple[float, bytes]] = []
        per_sample: list[dict[str, Any]] = []
        last_key_t = -math.inf
        faces_ms = 0.0
        t0 = time.perf_counter()
        counter = {"decoded": 0}

        def counted():
            for f in src.frames(self.engine.settings.intra_op_threads):
                counter["decoded"] += 1
                yield f

        duration = src.info.duration_s
        last: Sample | None = None
        for s in sample_frames(counted(), p, duration):
            last = s
            h, w = s.rgb.shape[:2]
            ids: list[int] = []
            observations = ()
            if faces_on:
                tf = time.perf_counter()
                observations = self.engine.faces.analyse_array(s.rgb)
                ids = self.tracker.update(s.n, s.index, s.time_s, s.shot, w, h, observations)
                faces_ms += (time.perf_counter() - tf) * 1000
                for obs, tid in zip(observations, ids):
                    self._keep_crop(crops, tid, obs, s)
            if s.shot_start or s.time_s - last_key_t >= p.key_every_s:
                keys.append(_Key(s.time_s, s.index, s.shot, s.rgb))
                last_key_t = s.time_s
                if len(keys) > 3 * p.max_key_frames:  # bounded memory on clips with very many cuts
                    keys = keys[::2]
            thumbs.append((s.time_s, _jpeg(s.rgb, p.thumb_width)))
            per_sample.append({"n": s.n, "frame": s.index, "time_s": round(s.time_s, 3), "shot": s.shot,
                               "faces": len(observations), "tracks": ids})
            if self.progress is not None and duration > 0:
                self.progress(min(1.0, s.time_s / duration), f"{s.time_s:.0f} of {duration:.0f} s")
        timings["scan"] = (time.perf_counter() - t0) * 1000 - faces_ms
        if faces_on:
            timings["faces"] = faces_ms
        if last is None:
            raise ImgcheckError(f"{src.source}: no frame could be sampled")
        duration = max(duration, last.time_s)
        keys = _spread(keys, p.max_key_frames)

        evidence: list[Evidence] = []
        frame_results = self._frame_checks(src, keys, timings)
        track_info = self._track_summaries(src)
        for name in self.names:
            t = time.perf_counter()
            try:
                ev = self._aggregate(name, src, frame_results.get(name, []), crops, track_info, timings)
            except ImgcheckError as exc:
                ev = Evidence(name, "error", f"The {name} check could not run on the clip: {exc}")
            if ev is not None:
                evidence.append(ev)
            timings[name] = timings.get(name, 0.0) + (time.perf_counter() - t) * 1000
        changes = self.tracker.identity_changes() if faces_on else []
        if faces_on:
            evidence.append(self._consistency(changes))
        flags = verdict.collect_flags(evidence)
        failed = verdict.failed_checks(evidence)
        matches = tuple(m for ev in evidence for m in ev.matches)
        summary = VideoSummary(
            clip={**src.info.to_dict(), "duration_s": round(duration, 3)},
            frames_decoded=counter["decoded"], frames_sampled=len(per_sample),
            shots=last.shot + 1,
            sampling={"scan_fps": p.scan_fps, "floor_fps": p.floor_fps, "max_per_minute": p.max_per_minute,
                      "cut_distance": p.cut_distance, "work_side": p.work_side, "faces": faces_on},
            key_frames=tuple({"time_s": round(k.time_s, 3), "frame": k.frame, "shot": k.shot} for k in keys),
            tracks=tuple(track_info.values()), identity_changes=tuple(changes),
            timeline=tuple(self._timeline(duration, per_sample, track_info, frame_results, crops, changes)),
            thumbnails=tuple(thumbs))
        info = ImageInfo(src.info.width, src.info.height, src.info.format, counter["decoded"])
        return Report(source=src.source, sha256=src.sha256, image=info, verdict=verdict.decide(flags, failed),
                      flags=flags, reasons=verdict.reasons(evidence), matches=matches, faces=(),
                      evidence=tuple(evidence), timings_ms=timings, failed=failed, video=summary)

    def _keep_crop(self, crops: dict[int, list[_Crop]], tid: int, obs, s: Sample) -> None:
        if "ai_pixels" not in self.names:
            return
        from imgcheck.video.track import quality

        if min(obs.face.box[2], obs.face.box[3]) < self.params.min_crop_face:
            return
        q = quality(obs)
        kept = crops.setdefault(tid, [])
        if len(kept) >= self.params.crops_per_track and q <= min(c.quality for c in kept):
            return
        rgb = face_crop(s.rgb, obs.face.box)
        if rgb is None:
            return
        kept.append(_Crop(q, s.time_s, s.index, rgb))
        kept.sort(key=lambda c: -c.quality)
        del kept[self.params.crops_per_track:]

    # -- checks -------------------------------------------------------------------------------
    def _run_check(self, name: str, img: LoadedImage, ctx: CheckContext | None = None) -> Evidence:
        ctx = ctx or CheckContext(self.engine)
        try:
            return self.engine._check(name).run(img, ctx)
        except ImgcheckError as exc:
            return Evidence(name, "error", f"The {name} check could not run: {exc}")
        except Exception as exc:  # noqa: BLE001 - one failing check must not stop the others
            return Evidence(name, "error", f"The {name} check failed unexpectedly ({type(exc).__name__}).")

    def _frame_checks(self, src: VideoSource, keys: list[_Key],
                      timings: dict[str, float]) -> dict[str, list[tuple[_Key, Evidence]]]:
        out: dict[str, list[tuple[_Key, Evidence]]] = {}
        for name in FRAME_CHECKS:
            if name not in self.names:
                continue
            t = time.perf_counter()
            for k in keys:
                img = FrameImage(k.rgb, f"{src.source}@{k.time_s:.2f}s", src.sha256)
                out.setdefault(name, []).append((k, self._run_check(name, img)))
            timings[name] = (time.perf_counter() - t) * 1000
        return out

    def _track_summaries(self, src: VideoSource) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for t in self.tracker.tracks:
            a, b = t.span
            out[t.id] = {"track": t.id, "start_s": round(a, 3), "end_s": round(b, 3), "faces": len(t.faces),
                         "shots": sorted(t.shots()), "frames": [f.frame for f in t.faces][:50],
                         "switched_from": t.switched_from}
        return out

    def _aggregate(self, name: str, src: VideoSource, frames: list[tuple[_Key, Evidence]],
                   crops: dict[int, list[_Crop]], tracks: dict[int, dict], timings: dict[str, float]
                   ) -> Evidence | None:
        if name == "known_face":
            return self._known_face(src, tracks)
        if name == "ai_provenance":
            return self._provenance(src)
        if name == "ai_pixels":
            return self._ai_pixels(src, frames, crops, tracks, timings)
        if name in FRAME_CHECKS:
            return _combine_frames(name, frames)
        return Evidence(name, "inconclusive", f"The {name} check does not apply to video clips.")

    def _known_face(self, src: VideoSource, tracks: dict[int, dict]) -> Evidence:
        from imgcheck.faces import EMBEDDER_ID

        check_name = "known_face"
        if not self._faces_wanted():
            return Evidence(check_name, "inconclusive", "The face models are not installed.")
        if not self.tracker.tracks:
            return Evidence(check_name, "inconclusive",
                            f"No face found in the {len(self.tracker.samples)} sampled frames.")
        named: list[tuple[Match, dict]] = []
        closest: list[float] = []
        per_track: list[dict] = []
        model: dict[str, Any] = {}
        min_eye = self.engine.settings.face_min_eye_distance

        def run_on(f, obs) -> Evidence:
            ctx = CheckContext(self.engine)
            ctx.memo[FACES] = (obs.face,)
            ctx.memo[FACE_OBSERVATIONS] = (replace(obs, index=0),)
            img = FrameImage(np.zeros((2, 2, 3), np.uint8), f"{src.source}@{f.time_s:.2f}s", src.sha256)
            return self._run_check(check_name, img, ctx)

        for t in self.tracker.tracks:
            best = t.best(self.params.best_frames_per_track)
            results = []
            # the track's mean embedding: averaging many frames of one face cancels per-frame noise
            # (pose, blur, compression), so it sits closer to the person than any single frame
            usable = [f for f in t.faces if f.obs.eye_distance >= min_eye]
            mean_ev, rep = None, None
            if len(usable) >= 2:
                rep = max(usable, key=lambda f: f.quality)
                emb = np.mean([f.obs.embedding for f in usable[:500]], axis=0).astype(np.float32)
                mean_ev = run_on(rep, replace(rep.obs, embedding=emb))
                if mean_ev.score is not None:
                    closest.append(mean_ev.score)
            for f in best:
                ev = run_on(f, f.obs)
                model = {"model": ev.model, "model_sha256": ev.model_sha256}
                if ev.status == "error":
                    return replace(ev, reason=f"{ev.reason} (track {t.id})")
                if ev.status == "inconclusive" and "bank holds no" in ev.reason:
                    return replace(ev, details={**ev.details, "tracks": len(self.tracker.tracks)})
                results.append((f, ev))
                if ev.score is not None:
                    closest.append(ev.score)
            labels = [ev.matches[0].label for _, ev in results if ev.status == "flag" and ev.matches]
            info = {"track": t.id, "frames": [f.frame for f, _ in results],
                    "times_s": [round(f.time_s, 3) for f, _ in results],
                    "statuses": [ev.status for _, ev in results], "named": None,
                    "mean_of_faces": len(usable) if mean_ev is not None else 0,
                    "mean_distance": mean_ev.score if mean_ev is not None else None}
            if mean_ev is not None and mean_ev.status == "flag" and mean_ev.matches:
                m = replace(mean_ev.matches[0], face_index=None)
                info["named"] = m.label
                tracks[t.id]["known_face"] = m.label
                named.append((m, {"track": t, "frame": rep, "mean_of": len(usable)}))
            elif labels:
                top = max(set(labels), key=labels.count)
                if labels.count(top) * 2 > len(results) or (len(results) == 1 and labels):
                    f, ev = min(((f, ev) for f, ev in results if ev.matches and ev.matches[0].label == top),
                                key=lambda fe: fe[1].score or 0.0)
                    m = replace(ev.matches[0], face_index=None)
                    info["named"] = top
                    tracks[t.id]["known_face"] = top
                    named.append((m, {"track": t, "frame": f}))
            per_track.append(info)
        threshold = self.engine.settings.face_match_distance
        details = {"tracks": per_track, "metric": "euclidean distance between dlib ResNet embeddings",
                   "frames_per_track": self.params.best_frames_per_track}
        if not named:
            evaluated = [s for i in per_track for s in i["statuses"]]
            if evaluated and all(s == "inconclusive" for s in evaluated):
                return Evidence(check_name, "inconclusive",
                                "Faces were found, but none large or sharp enough to recognise.",
                                threshold=threshold, details=details, **model)
            best = min(closest, default=None)
            reason = f"No face in the clip matches a known person in the bank ({len(self.tracker.tracks)} face track(s)"
            reason += f"; closest bank face at distance {best:.2f})." if best is not None else ")."
            measure, strength = measured(check_name, best, threshold) if best is not None else (None, 0.0)
            return Evidence(check_name, "clear", reason, score=best, threshold=threshold, details=details, **model,
                            strength=strength, measure=measure)
        named.sort(key=lambda mi: mi[0].distance or 0.0)
        parts = []
        for m, i in named:
            t, f = i["track"], i["frame"]
            a, b = t.span
            how = f"mean of {i['mean_of']} faces" if i.get("mean_of") else "single frame"
            parts.append(f"'{m.label}' at {_span(a, b)} (track {t.id}, best frame {f.frame} at {_fmt_t(f.time_s)}, "
                         f"distance {m.distance:.2f}, {how})")
        reason = f"Face of {'; '.join(parts)} from the bank; same person below {threshold:.2f}"
        top = named[0][0]
        measure, strength = measured(check_name, top.distance or 0.0, threshold)
        return Evidence(check_name, "flag", reason, score=top.distance, threshold=threshold, flags=("known_face",),
                        matches=tuple(m for m, _ in named), details=details, **model, strength=strength,
                        measure=measure)

    def _ai_pixels(self, src: VideoSource, frames: list[tuple[_Key, Evidence]], crops: dict[int, list[_Crop]],
                   tracks: dict[int, dict], timings: dict[str, float]) -> Evidence:
        name = "ai_pixels"
        per_track: list[dict] = []
        crop_evs: list[Evidence] = []
        longest = sorted(crops, key=lambda tid: -tracks[tid]["faces"])[:self.params.crop_tracks]
        for tid, kept in sorted((tid, crops[tid]) for tid in longest):
            probs, evs = [], []
            for c in kept:
                ev = self._run_check(name, FrameImage(c.rgb, f"{src.source}@{c.time_s:.2f}s#face", src.sha256))
                evs.append((c, ev))
                crop_evs.append(ev)
                if ev.score is not None and ev.status != "error":
                    probs.append(ev.score)
            if probs:
                per_track.append({"track": tid, "median": round(statistics.median(probs), 4),
                                  "probabilities": [round(p, 4) for p in probs],
                                  "frames": [c.frame for c, _ in evs], "times_s": [round(c.time_s, 3) for c, _ in evs]})
                tracks[tid]["ai_pixels_median"] = round(statistics.median(probs), 4)
        frame_evs = [ev for _, ev in frames]
        scored = [ev for ev in frame_evs + crop_evs if ev.score is not None and ev.status != "error"]
        if not scored:
            first = next((ev for ev in frame_evs + crop_evs), None)
            if first is not None and first.status == "error":
                return first
            reason = first.reason if first is not None else "No frame was large enough for the pixel detector."
            return Evidence(name, "inconclusive", reason)
        ref = scored[0]
        flag_at = ref.threshold if ref.threshold is not None else 1.0
        clear_below = float(ref.details.get("clear_below", 0.0))
        key_probs = [ev.score for ev in frame_evs if ev.score is not None and ev.status != "error"]
        key_frames = [{"frame": k.frame, "time_s": round(k.time_s, 3), "probability": ev.score}
                      for k, ev in frames if ev.score is not None]
        details = {"flag_at": flag_at, "clear_below": clear_below, "tracks": per_track, "key_frames": key_frames,
                   "aggregate": "median probability per face track (best crops) and over the key frames",
                   "encoder": ref.details.get("encoder")}
        groups: list[tuple[str, float, int]] = [(f"face track {i['track']}", i["median"], len(i["probabilities"]))
                                                for i in per_track]
        if key_probs:
            groups.append(("the key frames", statistics.median(key_probs), len(key_probs)))
        worst = max(groups, key=lambda g: g[1])
        measure, strength = measured(name, round(worst[1], 4), flag_at)
        common = {"score": round(worst[1], 4), "threshold": flag_at, "model": ref.model,
                  "model_sha256": ref.model_sha256, "details": details, "strength": strength, "measure": measure}
        if worst[1] >= flag_at:
            where = worst[0]
            frames_named = ""
            if where.startswith("face track"):
                tid = int(where.rsplit(" ", 1)[1])
                i = next(x for x in per_track if x["track"] == tid)
                frames_named = f" (frames {', '.join(map(str, i['frames']))})"
            else:
                frames_named = f" (frames {', '.join(str(k['frame']) for k in key_frames)})"
            return Evidence(name, "flag",
                            f"The pixel detector gives a median {worst[1]:.0%} probability that {where}{frames_named} "
                            f"{'are' if where == 'the key frames' else 'is'} AI-generated (flags at {flag_at:.0%}); a statistical signal, not proof.",
                            flags=("ai_generated",), **common)
        if worst[1] < clear_below:
            return Evidence(name, "clear",
                            f"The pixel detector finds no sign of AI generation in {len(scored)} frames and face "
                            f"crops (highest median {worst[1]:.0%}).", **common)
        return Evidence(name, "inconclusive",
                        f"The pixel detector is undecided on {worst[0]} (median {worst[1]:.0%}; it flags only at "
                        f"{flag_at:.0%}).", **common)

    def _provenance(self, src: VideoSource) -> Evidence:
        from imgcheck.video.provenance import ClipFile, clip_provenance

        return clip_provenance(self._run_check("ai_provenance", ClipFile(src)), src)

    def _consistency(self, changes: list[dict]) -> Evidence:
        s = self.engine.settings
        details = {"identity_changes": changes, "tracks": len(self.tracker.tracks),
                   "same_distance": s.face_same_distance, "different_distance": s.face_different_distance}
        with_faces = sum(1 for x in self.tracker.samples if x[3])
        if not changes:
            if with_faces < 2:
                return Evidence(CONSISTENCY, "inconclusive",
                                "Fewer than two sampled frames show a face; nothing to compare.", details=details)
            spread = self.tracker.largest_spread()
            measure, strength = measured(CONSISTENCY, round(spread, 4), s.face_different_distance)
            return Evidence(CONSISTENCY, "clear",
                            f"The main face keeps its identity through the clip ({with_faces} sampled frames with "
                            f"faces, {len(self.tracker.tracks)} face track(s)).", score=round(spread, 4),
                            threshold=s.face_different_distance, details=details, strength=strength,
                            measure=measure)
        parts = []
        for e in changes:
            what = "within one shot (face swap?)" if e["kind"] == "switch" else "at a cut (splice?)"
            parts.append(f"at {_fmt_t(e['time_s'])} (frame {e['frame']}) {what}: track {e['from_track']} "
                         f"({_span(*e['before'])}) becomes track {e['to_track']} ({_span(*e['after'])}), "
                         f"distance {e['distance']:.2f}")
        reason = "The main face changes identity " + "; ".join(parts)
        top = max(e["distance"] for e in changes)
        measure, strength = measured(CONSISTENCY, round(top, 4), s.face_different_distance)
        return Evidence(CONSISTENCY, "flag", reason, score=round(top, 4), threshold=s.face_different_distance,
                        flags=("inconsistent_faces",), details=details, strength=strength, measure=measure)

    # -- timeline -----------------------------------------------------------------------------
    def _timeline(self, duration: float, samples: list[dict], tracks: dict[int, dict],
                  frames: dict[str, list[tuple[_Key, Evidence]]], crops: dict[int, list[_Crop]],
                  changes: list[dict]) -> list[dict]:
        n = max(1, math.ceil(duration - 1e-9)) if duration > 0 else 1
        n = min(n, 3600)
        rows = [{"second": i, "frames": [], "faces": 0, "tracks": [], "shot_change": False, "known_face": [],
                 "ai_pixels": None, "flags": []} for i in range(n)]

        def row(t: float) -> dict:
            return rows[min(n - 1, max(0, int(t)))]

        prev_shot = 0
        for s in samples:
            r = row(s["time_s"])
            r["frames"].append(s["frame"])
            r["faces"] = max(r["faces"], s["faces"])
            for tid in s["tracks"]:
                if tid not in r["tracks"]:
                    r["tracks"].append(tid)
                label = tracks.get(tid, {}).get("known_face")
                if label and label not in r["known_face"]:
                    r["known_face"].append(label)
                    if "known_face" not in r["flags"]:
                        r["flags"].append("known_face")
            if s["shot"] != prev_shot:
                r["shot_change"] = True
                prev_shot = s["shot"]
        for name, results in frames.items():
            for k, ev in results:
                r = row(k.time_s)
                if name == "ai_pixels" and ev.score is not None:
                    r["ai_pixels"] = max(r["ai_pixels"] or 0.0, ev.score)
                if ev.status == "flag":
                    r["flags"] += [f for f in ev.flags if f not in r["flags"]]
        for tid, kept in crops.items():
            med = tracks.get(tid, {}).get("ai_pixels_median")
            if med is None:
                continue
            for c in kept:
                r = row(c.time_s)
                r["ai_pixels"] = max(r["ai_pixels"] or 0.0, med)
        for e in changes:
            r = row(e["time_s"])
            if "inconsistent_faces" not in r["flags"]:
                r["flags"].append("inconsistent_faces")
        for r in rows:
            if r["ai_pixels"] is not None:
                r["ai_pixels"] = round(r["ai_pixels"], 4)
        return rows


def _spread(keys: list[_Key], limit: int) -> list[_Key]:
    """At most ``limit`` key frames spread evenly over the list (first and last kept)."""
    if len(keys) <= limit:
        return keys
    idx = np.linspace(0, len(keys) - 1, limit).round().astype(int)
    return [keys[i] for i in dict.fromkeys(idx.tolist())]


def _combine_frames(name: str, frames: list[tuple[_Key, Evidence]]) -> Evidence:
    """One Evidence from a frame check run on every key frame: a flag names its frames."""
    if not frames:
        return Evidence(name, "inconclusive", "No key frame was checked.")
    per_frame = [{"frame": k.frame, "time_s": round(k.time_s, 3), "status": ev.status, "score": ev.score}
                 for k, ev in frames]
    flagged = [(k, ev) for k, ev in frames if ev.status == "flag"]
    details = {"key_frames": per_frame}
    if flagged:
        k, ev = max(flagged, key=lambda ke: ke[1].score or 0.0)
        where = ", ".join(f"frame {kk.frame} at {_fmt_t(kk.time_s)}" for kk, _ in flagged)
        matches = tuple(dict((m.entry_id, m) for _, e in flagged for m in e.matches).values())
        return Evidence(name, "flag", f"{ev.reason} ({where})", score=ev.score, threshold=ev.threshold,
                        flags=ev.flags, matches=matches, model=ev.model, model_sha256=ev.model_sha256,
                        details={**details, "best": ev.details}, strength=ev.strength, measure=ev.measure)
    errors = [ev for _, ev in frames if ev.status == "error"]
    if errors:
        return replace(errors[0], details=details)
    graded = [ev for _, ev in frames if ev.strength is not None]
    if all(ev.status == "clear" for _, ev in frames):
        ev = max(graded, key=lambda e: e.strength) if graded else frames[0][1]
        return Evidence(name, "clear", f"{len(frames)} key frame(s) checked: {ev.reason}", score=ev.score,
                        threshold=ev.threshold, model=ev.model, model_sha256=ev.model_sha256, details=details,
                        strength=ev.strength, measure=ev.measure)
    ev = next(ev for _, ev in frames if ev.status == "inconclusive")
    return Evidence(name, "inconclusive", f"{len(frames)} key frame(s) checked: {ev.reason}", score=ev.score,
                    threshold=ev.threshold, model=ev.model, model_sha256=ev.model_sha256, details=details,
                    strength=ev.strength, measure=ev.measure)
