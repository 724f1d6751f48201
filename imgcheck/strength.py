"""One meaning per number: every check's raw measure mapped to a ``strength`` in 0..1.

Each check measures something different (a hash distance in bits, a face-embedding distance, a
calibrated probability, a share of watermark bits). ``strength`` puts them on one scale so that
ranking, colours and meters never have to know which is which:

- 0 is the measure's innocent end (e.g. half the PDQ bits differ: unrelated pictures), 1 its most
  suspicious end (distance 0, probability 1);
- 0.5 is the check's own decision line (the radius, threshold or tolerance it flags at);
- in between, strength is linear in the raw measure on each side of the line;
- ``None`` when the check could not run or did not apply (no face, no bank, no model).

So ``strength >= 0.5`` means "the measure crossed its line"; a check may still add conditions of its
own (``known_face`` also needs a margin to the next person) and its ``status`` says what it decided.
``SCALES`` records each check's innocent and extreme ends; the same table upgrades v1 reports
(``imgcheck.contract``), so an old report and a new one rank the same photo the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MeasureName = Literal["distance", "similarity", "probability", "count"]
Direction = Literal["<=", ">="]


@dataclass(frozen=True)
class Scale:
    """How a check's measure maps to strength: flags when ``value <direction> flag_at``; ``innocent``
    maps to 0 and ``extreme`` to 1."""

    name: MeasureName
    unit: str
    direction: Direction
    innocent: float
    extreme: float


#: check -> scale of the measure it reports (the decision line is the check's setting, per report)
SCALES: dict[str, Scale] = {
    # PDQ/pHash Hamming distance; unrelated pictures differ in about half the bits
    "known_image.pdq": Scale("distance", "bits of 256", "<=", 128.0, 0.0),
    "known_image.phash": Scale("distance", "bits of 64", "<=", 32.0, 0.0),
    "known_image.pdq+orb": Scale("distance", "bits of 256 (PDQ after alignment)", "<=", 128.0, 0.0),
    # Euclidean distance between dlib ResNet embeddings; different people are mostly 0.8 or more apart
    "known_face": Scale("distance", "euclidean (dlib face embedding)", "<=", 0.9, 0.0),
    # calibrated probability of AI generation
    "ai_pixels": Scale("probability", "probability", ">=", 0.0, 1.0),
    # share of payload bits that agree; random bits agree half the time
    "ai_watermark": Scale("similarity", "share of payload bits", ">=", 0.5, 1.0),
    # number of AI-generation metadata findings; one is a flag
    "ai_provenance": Scale("count", "metadata findings", ">=", 0.0, 2.0),
    # eye-centre distance from the FFHQ layout, share of the image side
    "gan_face_geometry": Scale("distance", "share of the image side", "<=", 0.15, 0.0),
    # largest distance of a photo's face to the profile's person (dlib embeddings)
    "face_consistency": Scale("distance", "euclidean (dlib face embedding)", ">=", 0.0, 1.2),
}


def grade(value: float, flag_at: float, scale: Scale) -> float:
    """``value`` on ``scale`` as a strength in 0..1 with ``flag_at`` at 0.5 (rounded to 4 places)."""
    lo, hi = scale.innocent, scale.extreme
    v, t = float(value), float(flag_at)
    # position along innocent -> line -> extreme, whichever way the measure runs
    if (hi - lo) == 0:
        return 0.5
    sign = 1.0 if hi > lo else -1.0
    v, t, lo, hi = v * sign, t * sign, lo * sign, hi * sign
    if t <= lo or t >= hi:  # a decision line outside the scale: fall back to a plain linear map
        s = (v - lo) / (hi - lo)
    elif v <= t:
        s = 0.5 * (v - lo) / (t - lo)
    else:
        s = 0.5 + 0.5 * (v - t) / (hi - t)
    return round(min(1.0, max(0.0, s)), 4)


@dataclass(frozen=True)
class Measure:
    """The raw number a check decided on, its unit and its decision line."""

    name: MeasureName
    value: float
    unit: str
    flag_at: float
    direction: Direction

    @classmethod
    def on(cls, scale: Scale, value: float, flag_at: float) -> Measure:
        return cls(scale.name, value, scale.unit, flag_at, scale.direction)

    @property
    def crossed(self) -> bool:
        return self.value <= self.flag_at if self.direction == "<=" else self.value >= self.flag_at

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "value": self.value, "unit": self.unit,
                "flag_at": self.flag_at, "flags_when": self.direction}


def measured(key: str, value: float, flag_at: float) -> tuple[Measure, float]:
    """The Measure and strength of ``value`` for the check (or ``check.method``) ``key``."""
    scale = SCALES[key]
    return Measure.on(scale, value, flag_at), grade(value, flag_at, scale)
