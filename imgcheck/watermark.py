"""Decode the invisible ``dwtDct`` watermarks of the Stable Diffusion reference scripts.

The scheme (invisible-watermark's ``dwtDct``): convert BGR to YUV, take the one-level Haar DWT of the
U channel, cut its LL band into 4x4 blocks in row-major order; block *n* carries payload bit
``n mod L`` in its largest-magnitude non-DC coefficient *c*: ``|c| mod 36 > 18`` means 1. The decoder
averages each bit over all blocks that carry it.

This is an independent, vectorised decoder (OpenCV + NumPy) so imgcheck does not need the
``invisible-watermark`` package, which imports torch. The Haar LL band is computed directly with
the Haar low-pass taps (1/sqrt 2) in the same order of floating-point operations as PyWavelets
(columns, then rows), so it equals ``pywt.dwt2(x, "haar")[0]`` exactly: the reference reads bits with
``|c| mod 36 > 18`` and LL values of integer pixels often sit exactly on 18, where the last bit of
rounding decides. It is about ten times faster than ``pywt.dwt2``, which also computes the three detail
bands we never use. tests/test_watermark.py checks the equality and bit-for-bit agreement with the
reference decoder.

Known payloads:

- SD v1 (CompVis scripts/txt2img.py): bytes ``StableDiffusionV1``, 136 bits, BGR input.
- SD v2 (Stability-AI/stablediffusion): bytes ``SDV2``, 32 bits, BGR input.
- SDXL (diffusers and generative-models): the 48 bits ``0xB3EC907BB19E``. diffusers hands the encoder
  RGB where it expects BGR (and skips images narrower than 256 px), so both channel orders are read.

A clean image agrees with a payload on about half its bits (flat images, whose blocks all read 0,
agree with the share of zeros in the payload); the decision threshold and its calibration are in
``docs/provenance.md``.

Two agreements are computed. ``reference_agreement`` is what the reference decoder gets (every block
one vote). ``weighted_agreement`` weights each block by how close its coefficient sits to the centre of
a quantisation bin, where the encoder puts it (|c| = 36k + 9 or 36k + 27): blocks whose mark was
disturbed (clipping in saturated areas, the maximum moving to another coefficient) and the flat blocks
of clean images (|c| near 0, which always read 0) get little or no weight. Weighting recovers more marks
in lossless files, one vote per block survives 4:4:4 JPEG slightly better, so the decision uses
``agreement`` = the larger of the two; calibration figures for all three are in docs/provenance.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SCALE = 36.0
BLOCK = 4
MIN_PIXELS = 256 * 256          # the reference encoder refuses smaller images
MIN_REPEATS = 4                 # each payload bit must be carried by at least this many blocks
MAX_SIDE = 4096                 # larger images are read from their top-left 4096 px (the mark tiles)
#: images with more pixels are not decoded: a Stable Diffusion output that large has been upscaled,
#: which erases the mark, and a full decode of a huge image costs seconds and hundreds of MB
MAX_PIXELS = 4096 * 4096
WEIGHT_WIDTH = 3.0              # a block's weight falls from 1 at a bin centre to 0 at this distance


@dataclass(frozen=True)
class Payload:
    name: str           # generator family the payload identifies
    bits: tuple[int, ...]

    @property
    def length(self) -> int:
        return len(self.bits)


def _bytes_bits(data: bytes) -> tuple[int, ...]:
    return tuple(int(b) for b in np.unpackbits(np.frombuffer(data, np.uint8)))


def _int_bits(value: int, n: int) -> tuple[int, ...]:
    return tuple((value >> (n - 1 - i)) & 1 for i in range(n))


PAYLOADS: tuple[Payload, ...] = (
    Payload("Stable Diffusion v1 (CompVis reference script)", _bytes_bits(b"StableDiffusionV1")),
    Payload("Stable Diffusion v2 (Stability AI reference script)", _bytes_bits(b"SDV2")),
    Payload("Stable Diffusion XL (diffusers / generative-models)", _int_bits(0xB3EC907BB19E, 48)),
)


@dataclass(frozen=True)
class PayloadMatch:
    payload: str
    channel_order: str      # "bgr" (reference scripts) or "rgb" (diffusers' SDXL watermarker)
    weighted_agreement: float   # share of payload bits decoded correctly with weighted votes
    reference_agreement: float  # the same with one vote per block, as the reference decoder reads it
    bits: int
    repeats: int                # blocks per bit

    @property
    def agreement(self) -> float:
        """The decision statistic: the better of the two readings."""
        return max(self.weighted_agreement, self.reference_agreement)

    def to_dict(self) -> dict[str, object]:
        return {"payload": self.payload, "channel_order": self.channel_order,
                "agreement": round(self.agreement, 4), "weighted_agreement": round(self.weighted_agreement, 4),
                "reference_agreement": round(self.reference_agreement, 4), "bits": self.bits,
                "repeats": self.repeats}


HAAR_TAP = 0.7071067811865476   # Haar low-pass filter tap, 1/sqrt(2) as PyWavelets stores it


def haar_ll(channel: np.ndarray) -> np.ndarray:
    """Approximation band of a one-level 2-D Haar DWT, bit-identical to ``pywt.dwt2(x, "haar")[0]``
    for even sizes (same taps, same order: along axis 0, then axis 1)."""
    x = channel.astype(np.float64)
    cols = x[0::2] * HAAR_TAP + x[1::2] * HAAR_TAP
    return cols[:, 0::2] * HAAR_TAP + cols[:, 1::2] * HAAR_TAP


def block_values(bgr: np.ndarray) -> np.ndarray:
    """|largest non-DC coefficient| of each 4x4 LL block of the U channel, in row-major block order."""
    rows, cols = bgr.shape[0] // 4 * 4, bgr.shape[1] // 4 * 4
    yuv = cv2.cvtColor(np.ascontiguousarray(bgr[:rows, :cols]), cv2.COLOR_BGR2YUV)
    ll = haar_ll(yuv[:, :, 1])
    nr, nc = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    blocks = ll[:nr * BLOCK, :nc * BLOCK].reshape(nr, BLOCK, nc, BLOCK).transpose(0, 2, 1, 3)
    flat = blocks.reshape(nr * nc, BLOCK * BLOCK)
    ac = flat[:, 1:]
    pos = np.argmax(np.abs(ac), axis=1)
    return np.abs(ac[np.arange(len(ac)), pos])


def block_bits(bgr: np.ndarray) -> np.ndarray:
    """The bit each block reads as (uint8 0/1), exactly as the reference decoder reads it."""
    return (np.mod(block_values(bgr), SCALE) > 0.5 * SCALE).astype(np.uint8)


def block_weights(values: np.ndarray) -> np.ndarray:
    """Reliability of each block's vote: 1 at a quantisation-bin centre, 0 from ``WEIGHT_WIDTH`` away."""
    dist = np.abs(np.mod(values, 0.5 * SCALE) - 0.25 * SCALE)
    return np.clip(1.0 - dist / WEIGHT_WIDTH, 0.0, None)


def decode_bits(bits_per_block: np.ndarray, length: int,
                weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Majority bits of a length-``length`` payload and each bit's vote share.

    Without ``weights`` every block has one vote (the reference decoder's rule: share > 127/255).
    """
    idx = np.arange(len(bits_per_block)) % length
    w = np.ones(len(bits_per_block)) if weights is None else weights
    ones = np.bincount(idx, weights=bits_per_block * w, minlength=length)
    total = np.bincount(idx, weights=w, minlength=length)
    share = np.where(total > 0, ones / np.maximum(total, 1e-12), 0.0)
    return (share * 255 > 127).astype(np.uint8), share


def read_marks(rgb: np.ndarray, payloads: tuple[Payload, ...] = PAYLOADS) -> list[PayloadMatch]:
    """Agreement of the image with every known payload, in both channel orders (best first).

    Empty when the image is too small to carry a mark (fewer than 256x256 pixels, or fewer than
    ``MIN_REPEATS`` blocks per bit).
    """
    h, w = rgb.shape[:2]
    if h * w < MIN_PIXELS or rgb.ndim != 3 or rgb.shape[2] != 3:
        return []
    rgb = rgb[:MAX_SIDE, :MAX_SIDE]
    out: list[PayloadMatch] = []
    for order, arr in (("bgr", rgb[:, :, ::-1]), ("rgb", rgb)):
        values = block_values(arr)
        per_block = (np.mod(values, SCALE) > 0.5 * SCALE).astype(np.uint8)
        weights = block_weights(values)
        for p in payloads:
            repeats = len(per_block) // p.length
            if repeats < MIN_REPEATS:
                continue
            expected = np.asarray(p.bits, np.uint8)
            ref_bits, _ = decode_bits(per_block, p.length)
            bits, _ = decode_bits(per_block, p.length, weights)
            out.append(PayloadMatch(p.name, order, float(np.mean(bits == expected)),
                                    float(np.mean(ref_bits == expected)), p.length, repeats))
    out.sort(key=lambda m: -m.agreement)
    return out
