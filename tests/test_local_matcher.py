"""known_image's descriptor matcher (``local_features._ratio_matches``): exactly the pairs of OpenCV's
brute-force Hamming matcher with Lowe's ratio test, on every FAISS thread count, and the thread
count it sets is scoped to its own search in its own thread (``threads.faiss_threads``)."""

from __future__ import annotations

import threading

import cv2
import faiss
import numpy as np
import pytest
import robustness as R

from imgcheck import local_features as local
from imgcheck.settings import VerifyParams
from imgcheck.threads import faiss_threads


def features(rgb: np.ndarray, query: bool = False) -> local.Features:
    g = local.grey(rgb, local.FEATURE_SIDE, local.MIN_QUERY_SIDE if query else 0)
    return local.compute(g)


def opencv_pairs(q: local.Features, b: local.Features, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """The reference: BFMatcher(NORM_HAMMING).knnMatch(k=2), kept where nearest < ratio * second."""
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(q.descriptors, b.descriptors, k=2)
    good = [pair[0] for pair in knn if len(pair) == 2 and pair[0].distance < ratio * pair[1].distance]
    qp = np.array([q.points[m.queryIdx] for m in good], np.float32).reshape(-1, 2)
    bp = np.array([b.points[m.trainIdx] for m in good], np.float32).reshape(-1, 2)
    return qp, bp


def _edited(name: str, edit: str) -> np.ndarray:
    rgb = R.load(name)
    rng = np.random.default_rng(13)
    if edit == "crop":
        return R.crop(rgb, rng)
    if edit == "rotate":
        return R.rotate(rgb, rng)
    if edit == "screenshot":
        return R.screenshot(rgb, rng)
    if edit == "mirror":
        return np.ascontiguousarray(rgb[:, ::-1])
    return rgb


# (query photo, edit, bank photo): copies (many ratio-test survivors), a mirror (few) and unrelated
# photos, among them a hard negative (the same person) and a stereo pair (the same scene)
CASES = [
    ("astronaut", "crop", "astronaut"),
    ("lomiri_bridge", "rotate", "lomiri_bridge"),
    ("group_photo_3", "screenshot", "group_photo_3"),
    ("mate_dune", "mirror", "mate_dune"),
    ("obama2", "none", "obama"),
    ("opencv_aloer", "none", "opencv_aloel"),
    ("hfs_000", "none", "coffee"),
]


@pytest.mark.parametrize("query,edit,bank", CASES, ids=[f"{q}-{e}-{b}" for q, e, b in CASES])
@pytest.mark.parametrize("threads", [1, 2, 0], ids=["1thread", "2threads", "faiss-default"])
def test_pairs_are_opencv_bruteforce_ratio_pairs(query: str, edit: str, bank: str, threads: int) -> None:
    q = features(_edited(query, edit), query=True)
    b = features(R.load(bank))
    assert len(q) > 100 and len(b) > 100  # real keypoint sets, not a degenerate case
    ratio = VerifyParams().ratio
    qp, bp = local._ratio_matches(q, b, ratio, threads)
    ref_q, ref_b = opencv_pairs(q, b, ratio)
    np.testing.assert_array_equal(qp, ref_q)
    np.testing.assert_array_equal(bp, ref_b)
    if edit in ("crop", "rotate", "screenshot"):
        assert len(qp) >= VerifyParams().min_inliers  # the copies give pairs for RANSAC to fit


def test_default_thread_count_is_the_setting() -> None:
    q = features(R.load("chelsea"), query=True)
    b = features(R.load("chelsea"))
    seen: list[int] = []
    real = faiss.IndexBinaryFlat.search

    def spy(self, *args, **kwargs):
        seen.append(faiss.omp_get_max_threads())
        return real(self, *args, **kwargs)

    faiss.IndexBinaryFlat.search = spy
    try:
        local._ratio_matches(q, b, VerifyParams().ratio)
        local.verify(q, features(np.ascontiguousarray(R.load("chelsea")[:, ::-1]), query=True), b,
                     local.grey(R.load("chelsea")), None, VerifyParams(match_threads=3), sides=(False,))
    finally:
        faiss.IndexBinaryFlat.search = real
    assert seen == [VerifyParams().match_threads, 3]


def test_thread_count_is_restored_and_stays_in_the_calling_thread() -> None:
    q = features(R.load("coffee"), query=True)
    b = features(R.load("coffee"))
    inside = threading.Event()
    release = threading.Event()
    got: dict[str, int] = {}

    def worker() -> None:
        faiss.omp_set_num_threads(3)
        with faiss_threads(1):
            got["inside"] = faiss.omp_get_max_threads()
            inside.set()
            release.wait(10)
        got["after_block"] = faiss.omp_get_max_threads()
        local._ratio_matches(q, b, VerifyParams().ratio, 1)
        got["after_search"] = faiss.omp_get_max_threads()

    main_before = faiss.omp_get_max_threads()
    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(10)
    got["main_during"] = faiss.omp_get_max_threads()
    release.set()
    t.join(10)
    assert got == {"inside": 1, "main_during": main_before, "after_block": 3, "after_search": 3}
    with faiss_threads(0):  # 0 leaves the count alone
        assert faiss.omp_get_max_threads() == main_before
    assert faiss.omp_get_max_threads() == main_before


@pytest.mark.parametrize("name", R.DEV_ORIGINALS[:3])
def test_keypoints_are_listed_level_by_level_strongest_first(name: str) -> None:
    """``compute`` lists OpenCV's ORB keypoints so that the first N (what the bank's keyword index
    posts) take every pyramid level in turn: the i-th strongest of every level before the
    (i+1)-th of any, and within a level strongest first (ties in detection order)."""
    g = local.grey(R.load(name))
    orb = cv2.ORB_create(nfeatures=local.N_FEATURES, scaleFactor=1.2, nlevels=local.N_LEVELS, edgeThreshold=15,
                         patchSize=31, fastThreshold=10)
    kps, desc = orb.detectAndCompute(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(g), None)
    f = local.compute(g)
    assert len(f) == len(kps) > 500
    # the same keypoints, each found again by its position and descriptor
    where = {(float(k.pt[0]), float(k.pt[1]), bytes(d)): i for i, (k, d) in enumerate(zip(kps, desc))}
    src = [where[(float(p[0]), float(p[1]), bytes(d))] for p, d in zip(f.points, f.descriptors)]
    assert sorted(src) == list(range(len(kps)))
    levels = [kps[i].octave for i in src]
    assert len(set(levels)) >= 4
    seen: dict[int, list[int]] = {}
    ranks = []
    for i, lv in zip(src, levels):
        prev = seen.setdefault(lv, [])
        if prev:  # strongest first, a tie keeps detection order
            a, b = kps[prev[-1]].response, kps[i].response
            assert a > b or (a == b and prev[-1] < i)
        ranks.append(len(prev))
        prev.append(i)
    assert ranks == sorted(ranks)  # rank 0 of every level, then rank 1 of every level, ...
