"""Face embedder wrapper: dlib's ResNet face recognition model v1, exported to ONNX.

128-d descriptors; two photos of one person are usually closer than dlib's 0.6 (Euclidean). The
graph takes the network's own input: ``(rgb - mean) / 256`` on a 150x150 chip, NCHW.
"""

from __future__ import annotations

import numpy as np

#: dlib input_rgb_image_sized<150> channel means (R, G, B)
RGB_MEAN = np.array([122.782, 117.001, 104.298], np.float32)
DIM = 128


def to_input(chips: np.ndarray) -> np.ndarray:
    """(N, 150, 150, 3) uint8 chips -> float32 NCHW tensor, normalised as dlib does."""
    chips = np.asarray(chips)
    if chips.ndim == 3:
        chips = chips[None]
    return ((chips.astype(np.float32) - RGB_MEAN) / 256.0).transpose(0, 3, 1, 2)


class FaceEmbedder:
    """Embeds aligned chips; (0, 128) for no chips."""

    def __init__(self, session, batch: int = 16) -> None:
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.batch = batch

    def embed(self, chips: np.ndarray) -> np.ndarray:
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        if not len(chips):
            return np.zeros((0, DIM), np.float32)
        out = [self.session.run(None, {self.input_name: to_input(chips[i:i + self.batch])})[0]
               for i in range(0, len(chips), self.batch)]
        return np.concatenate(out).astype(np.float32)


def distances(query: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Euclidean distances between (Q, D) and (B, D) embeddings -> (Q, B)."""
    q = np.atleast_2d(np.asarray(query, np.float32))
    b = np.atleast_2d(np.asarray(bank, np.float32))
    if not len(q) or not b.size:
        return np.zeros((len(q), 0 if not b.size else len(b)), np.float32)
    d2 = (q ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * q @ b.T
    return np.sqrt(np.clip(d2, 0, None))
