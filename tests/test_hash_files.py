"""Hashing many files: the thread map keeps order and bounds, hashes equal the bank's, bad files
are reported without stopping the rest, and ``bank add`` on threads stores what one thread stores."""

from __future__ import annotations

import threading
import time

import pytest

from imgcheck import threads
from imgcheck.errors import InputError
from imgcheck.hashing import views
from imgcheck.hashing.files import hash_file, hash_files
from imgcheck.load import load_image

PHOTOS = ["obama.jpg", "biden.jpg", "grace_hopper.jpg", "astronaut.png", "coffee.png", "rocket.jpg"]


def test_imap_keeps_order_and_bounds_work_in_flight():
    running = peak = 0
    lock = threading.Lock()

    def work(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.002 * (i % 3))  # finish out of order
        with lock:
            running -= 1
        return i * i

    consumed = []

    def source():
        for i in range(200):
            consumed.append(i)
            yield i

    out = []
    for r in threads.imap(work, source(), workers=3, ahead=2):
        out.append(r)
        # never more than workers * ahead items taken from the source beyond what was yielded
        assert len(consumed) - len(out) <= 3 * 2
    assert out == [i * i for i in range(200)]
    assert 1 < peak <= 3


def test_imap_reraises_unexpected_errors_and_one_worker_is_plain_map():
    def boom(i: int) -> int:
        if i == 5:
            raise RuntimeError("bug")
        return i

    with pytest.raises(RuntimeError, match="bug"):
        list(threads.imap(boom, range(10), workers=2))
    assert list(threads.imap(str, range(4), workers=1)) == ["0", "1", "2", "3"]


def test_hash_file_gives_the_exchange_pdq_and_the_bank_phash(fixtures):
    """pHash as the bank stores it; PDQ as Meta's reference computes it (tests/test_pdq_reference.py),
    which lands well inside the match radius of the bank's own 512 px PDQ."""
    for name in ("obama.jpg", "astronaut.png"):
        img = load_image(fixtures / name)
        r = hash_file(fixtures / name)
        bank = {h.kind: h for _, h in views.bank_hashes(img)}
        assert r.error is None and r.hashes["phash"] == bank["phash"]
        assert r.hashes["pdq"] == views.exchange_pdq(img) and r.hashes["pdq"] - bank["pdq"] <= 8
        assert bank[views.EXCHANGE_KIND].bits == r.hashes["pdq"].bits  # what bank export sends
        assert r.to_dict()["pdq_quality"] == bank["pdq"].quality and "pdq_upright" not in r.to_dict()


def test_hash_files_threads_equal_one_thread_and_bad_files_are_reported(fixtures, tmp_path):
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes((fixtures / "obama.jpg").read_bytes()[:3000])
    sources = [fixtures / p for p in PHOTOS[:3]] + [bad, tmp_path / "missing.png"] + [fixtures / p for p in PHOTOS[3:]]
    one = list(hash_files(sources, workers=1))
    two = list(hash_files(sources, workers=2))
    assert one == two
    assert [r.source for r in two] == [str(s) for s in sources]
    assert [r.error is not None for r in two] == [False] * 3 + [True, True] + [False] * 3
    assert "damaged or truncated" in two[3].error and "no such file" in two[4].error
    assert two[3].to_dict() == {"source": str(bad), "sha256": None, "error": two[3].error}
    # different photos get far-apart hashes; the same photo twice the same hashes
    good = [r for r in two if r.error is None]
    assert min(a.hashes["pdq"] - b.hashes["pdq"] for i, a in enumerate(good) for b in good[i + 1:]) > 31


def test_unknown_hash_type_is_an_input_error(fixtures):
    with pytest.raises(InputError, match="unknown hash type"):
        hash_files([fixtures / "obama.jpg"], ("md5",))
