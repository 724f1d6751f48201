"""Face embedder wrapper: dlib's ResNet face recognition model v1, exported to ONNX.

128-d descriptors; two photos of one person are usually closer than dlib's 0.6 (Euclidean). The
graph takes the network's own input: ``(rgb - mean) / 256`` on a 150x150 chip, NCHW.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from imgcheck.settings import Settings

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


class EmbeddingType:
    """A face embedding as a signal type, the counterpart of ``hashing.HashType``: the model that
    computes it (``name``, a models/manifest.json id, run by ``embedder``), how two compare
    (``compare``: Euclidean distance), the match radius and the margin to the next person (Settings
    fields), the quality gate (``min_eye_setting``: faces smaller than that carry no identity) and the
    index class that serves it (``index``, a name ``bank.FACE_INDEX_CLASSES`` resolves: signal types
    never import the bank). The bank's face index and ``known_face`` read these."""

    name: ClassVar[str]
    dim: ClassVar[int]
    index: ClassVar[str] = "faiss_l2"
    radius_setting: ClassVar[str] = "face_match_distance"
    margin_setting: ClassVar[str] = "face_match_margin"
    min_eye_setting: ClassVar[str] = "face_min_eye_distance"

    def embedder(self, session) -> FaceEmbedder:
        return FaceEmbedder(session)

    def compare(self, query: np.ndarray, bank: np.ndarray) -> np.ndarray:
        """(Q, B) distances between query and bank embeddings."""
        return distances(query, bank)

    def radius(self, settings: Settings) -> float:
        return float(getattr(settings, self.radius_setting))

    def margin(self, settings: Settings) -> float:
        return float(getattr(settings, self.margin_setting))

    def min_eye_distance(self, settings: Settings) -> float:
        return float(getattr(settings, self.min_eye_setting))


class DlibResnetV1(EmbeddingType):
    """dlib's ResNet face recognition model v1 (128-d); radius and margin calibrated in docs/faces.md."""

    name: ClassVar[str] = "dlib_resnet_v1"
    dim: ClassVar[int] = DIM


#: the face embedding types imgcheck computes, by model id (the bank stores faces per model)
EMBEDDING_TYPES: dict[str, EmbeddingType] = {t.name: t for t in (DlibResnetV1(),)}
