"""Face tracks across sampled frames (box overlap + embedding) and identity changes of the main face.

A face joins a track when (a) it overlaps the track's last box (IoU >= ``iou``) in the same shot,
at most ``max_gap_s`` later, and its embedding is within ``different`` of the track's recent faces;
or (b) its embedding is within ``same`` of the track's faces (the same person after a cut or a gap).
A face that overlaps a track in the same shot but whose embedding is further than ``different``
starts a new track and records a *switch*: the person in that place changed without a cut.

Identity changes reported (``identity_changes``): switches whose two sides each hold at least
``min_support`` sampled faces, and *splices*: consecutive shots whose sole subject (the only face, or
one at least twice as large as any other) is a different person, each seen in at least
``min_support`` samples and never in the other shot. Clips where several people are seen together
are not flagged for who is largest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from imgcheck.faces import FaceObservation
from imgcheck.faces.embed import distances


@dataclass(frozen=True)
class TrackedFace:
    sample: int
    frame: int
    time_s: float
    shot: int
    obs: FaceObservation
    #: box as (x0, y0, x1, y1), fractions of the frame
    box: tuple[float, float, float, float]
    quality: float


@dataclass
class Track:
    id: int
    faces: list[TrackedFace] = field(default_factory=list)
    #: the track this one replaced in the same place (a switch), if any
    switched_from: int | None = None

    @property
    def last(self) -> TrackedFace:
        return self.faces[-1]

    def embeddings(self, recent: int | None = None) -> np.ndarray:
        faces = self.faces[-recent:] if recent else self.faces
        return np.stack([f.obs.embedding for f in faces])

    def mean_embedding(self) -> np.ndarray:
        return self.embeddings().mean(axis=0)

    def best(self, n: int) -> list[TrackedFace]:
        return sorted(self.faces, key=lambda f: -f.quality)[:n]

    @property
    def span(self) -> tuple[float, float]:
        return self.faces[0].time_s, self.faces[-1].time_s

    def shots(self) -> set[int]:
        return {f.shot for f in self.faces}


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


#: a face is frontal enough to testify about identity changes when its nose tip is at most this far
#: (in eye distances) from the middle of the eyes, sideways: a head turned to profile moves dlib's
#: embedding by as much as a change of person, so turned faces never make an identity change
FRONTAL_NOSE_OFFSET = 0.45


def frontal(obs: FaceObservation) -> bool:
    lm = obs.face.landmarks
    if len(lm) < 3 or obs.eye_distance <= 0:
        return False
    (rx, ry), (lx, ly), (nx, ny) = lm[0], lm[1], lm[2]
    ex, ey = lx - rx, ly - ry
    norm = float(np.hypot(ex, ey))
    # the nose tip's offset along the eye line from the eyes' midpoint, in eye distances
    along = ((nx - (rx + lx) / 2) * ex + (ny - (ry + ly) / 2) * ey) / (norm * norm)
    return abs(along) <= FRONTAL_NOSE_OFFSET


def quality(obs: FaceObservation) -> float:
    """How good a witness of identity a face is: eye distance (detail), detector score, sharpness."""
    return float(obs.eye_distance * obs.face.score * np.log1p(max(obs.sharpness, 0.0)))


class Tracker:
    def __init__(self, same: float, different: float, *, iou_min: float = 0.3, max_gap_s: float = 2.0,
                 min_eye_distance: float = 0.0) -> None:
        self.same = same
        self.different = different
        self.iou_min = iou_min
        self.max_gap_s = max_gap_s
        self.min_eye_distance = min_eye_distance
        self.tracks: list[Track] = []
        #: (sample, time, shot) of every sample, and the ids of the tracks seen in it (main face first)
        self.samples: list[tuple[int, float, int, list[int], bool]] = []
        self.switches: list[dict] = []

    def update(self, sample: int, frame: int, time_s: float, shot: int, width: int, height: int,
               observations: tuple[FaceObservation, ...]) -> list[int]:
        """Assign this sample's faces to tracks; returns the track id of each observation."""
        order = sorted(range(len(observations)), key=lambda i: -observations[i].face.box[2] * observations[i].face.box[3])
        taken: set[int] = set()
        ids = [0] * len(observations)
        for i in order:
            o = observations[i]
            x, y, w, h = o.face.box
            box = (x / width, y / height, (x + w) / width, (y + h) / height)
            tf = TrackedFace(sample, frame, time_s, shot, o, box, quality(o))
            track, switched = self._match(tf, taken)
            if track is None:
                track = Track(len(self.tracks) + 1)
                self.tracks.append(track)
                if switched is not None:
                    track.switched_from = switched.id
                    self.switches.append({"from_track": switched.id, "to_track": track.id,
                                          "time_s": time_s, "frame": frame, "shot": shot,
                                          "distance": round(self._distance(tf, switched), 4)})
            track.faces.append(tf)
            taken.add(track.id)
            ids[i] = track.id
        sole = self._sole(observations)
        self.samples.append((sample, time_s, shot, [ids[i] for i in order], sole))
        return ids

    def _sole(self, observations: tuple[FaceObservation, ...]) -> bool:
        usable = [o for o in observations if o.eye_distance >= self.min_eye_distance]
        if len(usable) != 1:
            if len(usable) < 2:
                return False
            areas = sorted((o.face.box[2] * o.face.box[3] for o in observations), reverse=True)
            return areas[0] >= 2 * areas[1]
        areas = sorted((o.face.box[2] * o.face.box[3] for o in observations), reverse=True)
        return len(areas) == 1 or areas[0] >= 2 * areas[1]

    @staticmethod
    def _distance(tf: TrackedFace, track: Track) -> float:
        return float(distances(tf.obs.embedding[None], track.embeddings(recent=3))[0].min())

    def _match(self, tf: TrackedFace, taken: set[int]) -> tuple[Track | None, Track | None]:
        """(track to join, or None) and the same-place track it differs from (a switch), if any."""
        best: tuple[float, Track] | None = None
        place: Track | None = None
        for t in self.tracks:
            if t.id in taken:
                continue
            d = self._distance(tf, t)
            last = t.last
            overlaps = (last.shot == tf.shot and tf.time_s - last.time_s <= self.max_gap_s
                        and iou(last.box, tf.box) >= self.iou_min)
            if overlaps and d > self.different and place is None:
                place = t
            ok = (overlaps and d <= self.different) or d <= self.same
            if ok and (best is None or d < best[0]):
                best = (d, t)
        if best is not None:
            return best[1], None
        return None, place

    def largest_spread(self) -> float:
        """The largest distance of a tracked face to its track's mean (0 with no faces): how far the
        identity wandered inside the tracks the clip was judged consistent on."""
        out = 0.0
        for t in self.tracks:
            if len(t.faces) > 1:
                out = max(out, float(distances(t.mean_embedding()[None], t.embeddings())[0].max()))
        return out

    # -- identity changes ---------------------------------------------------------------------
    def identity_changes(self, min_support: int = 2) -> list[dict]:
        by_id = {t.id: t for t in self.tracks}
        events: list[dict] = []
        for s in self.switches:
            a, b = by_id[s["from_track"]], by_id[s["to_track"]]
            shot = s["shot"]
            before = [f for f in a.faces if f.shot == shot and f.time_s < s["time_s"] and frontal(f.obs)]
            after = [f for f in b.faces if f.shot == shot and f.time_s >= s["time_s"] and frontal(f.obs)]
            if len(before) < min_support or len(after) < min_support:
                continue
            if not self._distinct(a, b):
                continue
            events.append({"kind": "switch", "from_track": a.id, "to_track": b.id, "time_s": s["time_s"],
                           "frame": s["frame"], "before": [before[0].time_s, before[-1].time_s],
                           "after": [after[0].time_s, after[-1].time_s],
                           "distance": round(self._track_distance(a, b), 4)})
        events += self._splices(by_id, min_support)
        return sorted(events, key=lambda e: e["time_s"])

    def _track_distance(self, a: Track, b: Track) -> float:
        """Distance between the tracks' mean embeddings over their frontal faces (all faces if none)."""
        def mean(t: Track) -> np.ndarray:
            faces = [f for f in t.faces if frontal(f.obs)] or t.faces
            return np.stack([f.obs.embedding for f in faces]).mean(axis=0)
        return float(np.linalg.norm(mean(a) - mean(b)))

    def _distinct(self, a: Track, b: Track) -> bool:
        usable = [f for f in a.faces + b.faces if f.obs.eye_distance >= self.min_eye_distance and frontal(f.obs)]
        return len(usable) >= 2 and self._track_distance(a, b) > self.different

    def _splices(self, by_id: dict[int, Track], min_support: int) -> list[dict]:
        shots: dict[int, dict] = {}
        for _, t, shot, ids, sole in self.samples:
            info = shots.setdefault(shot, {"start": t, "end": t, "main": [], "seen": set(), "samples": 0})
            info["end"] = t
            info["samples"] += 1
            info["seen"].update(ids)
            if sole and ids:
                info["main"].append((ids[0], t))
        order = sorted(shots)
        out = []
        for s0, s1 in zip(order, order[1:]):
            a, b = shots[s0], shots[s1]
            ma, mb = _dominant(a["main"]), _dominant(b["main"])
            if ma is None or mb is None or ma == mb:
                continue
            na = sum(1 for i, _ in a["main"] if i == ma)
            nb = sum(1 for i, _ in b["main"] if i == mb)
            # the main person of each shot is the sole subject in most of its samples
            if na < min_support or nb < min_support or na * 2 < a["samples"] or nb * 2 < b["samples"]:
                continue
            if ma in b["seen"] or mb in a["seen"]:
                continue
            ta, tb = by_id[ma], by_id[mb]
            if not self._distinct(ta, tb):
                continue
            cut = b["start"]
            out.append({"kind": "splice", "from_track": ma, "to_track": mb, "time_s": cut,
                        "frame": next(f.frame for f in tb.faces if f.shot == s1),
                        "before": [a["start"], a["end"]], "after": [b["start"], b["end"]],
                        "distance": round(self._track_distance(ta, tb), 4)})
        return out


def _dominant(mains: list[tuple[int, float]]) -> int | None:
    if not mains:
        return None
    ids = [i for i, _ in mains]
    return max(set(ids), key=ids.count)
