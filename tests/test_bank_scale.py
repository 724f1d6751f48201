"""The bank-scale indexes: multi-index hashing is exact, keyword candidates find edited copies, the
saved index is memory-mapped, follows adds and removals, and can never invent a match."""

from __future__ import annotations

import numpy as np
import pytest
import robustness as R

from imgcheck import Engine
from imgcheck.bank import Bank, scale
from imgcheck.bank.index import LinearHammingIndex
from imgcheck import local_features as local
from imgcheck.hashing import views
from imgcheck.load import load_image
from imgcheck.settings import KeywordVote


def planted(n: int, nbytes: int, nq: int, max_flip: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bank = rng.integers(0, 256, (n, nbytes), dtype=np.uint8)
    queries = rng.integers(0, 256, (nq, nbytes), dtype=np.uint8)
    for i in range(0, nq, 2):  # half the queries are bank rows with up to max_flip bits flipped
        bits = np.unpackbits(bank[rng.integers(n)].copy())
        bits[rng.choice(bits.size, int(rng.integers(0, max_flip + 1)), replace=False)] ^= 1
        queries[i] = np.packbits(bits)
    # and a few bank rows are near each other, so a query has several hits
    bank[1:6] = bank[0]
    for j in range(1, 6):
        bank[j, j] ^= 0xFF
    queries[1] = bank[0]
    return bank, queries


@pytest.mark.parametrize(("nbytes", "radius"), [(32, 31), (32, 47), (32, 15), (32, 90), (8, 10), (8, 3), (8, 20)])
def test_multi_index_hash_equals_the_linear_scan(nbytes, radius):
    bank, queries = planted(20_000, nbytes, 40, radius + 4)
    mih = scale.MultiIndexHash.build(bank)
    qi, rows, dist = mih.range_search(queries, radius)
    got = sorted(zip(qi.tolist(), rows.tolist(), dist.tolist()))
    ref = sorted((i, h.row, h.distance) for i, hits in enumerate(LinearHammingIndex(bank).range_search(queries, radius))
                 for h in hits)
    assert got == ref and len(ref) >= 10  # the planted neighbours are there, nothing else is


@pytest.fixture(scope="module")
def keyword_bank():
    """A keyword index of every photo of the re-upload set, and 20 hard copies of four of them (corner
    crop, letterbox, mirror, caption, mirror+crop+caption) with the index row of their original."""
    names = sorted(p.stem for p in R.FIXTURES.glob("*.jpg"))
    words = [scale.bank_words(local.compute(local.grey(load_image(R.FIXTURES / f"{n}.jpg").rgb(512))).descriptors)
             for n in names]
    assert len(names) > 60 and np.median([len(w) for w, _ in words]) > 250
    copies = []
    for spec in (R.EDITS[2], R.EDITS[3], R.EDITS[6], R.EDITS[10], R.EDITS[14]):
        for name in ("lomiri_bridge", "opencv_fruits", "astronaut", "mate_dune"):
            q = next(q for q in R.positive_queries((name,), "dev", (spec,)))
            qf = views.query_features(load_image(q.data))
            copies.append((names.index(name), spec.name, [qf.features.descriptors, qf.mirrored.descriptors]))
    return scale.KeywordIndex.build(words), copies


def ranks_of(index: scale.KeywordIndex, copies, vote: KeywordVote) -> list[int]:
    out = []
    for truth, _, desc in copies:
        rows = [r for r, _, _ in index.votes(desc, vote).top(8)]
        out.append(rows.index(truth) if truth in rows else 99)
    return out


def test_keyword_index_ranks_an_edited_copy_first(keyword_bank):
    index, copies = keyword_bank
    ranks = ranks_of(index, copies, KeywordVote())
    # first nearly always, among the 8 that known_image verifies (Settings.keyword_candidates) nearly always
    assert sum(r == 0 for r in ranks) >= 17 and sum(r < 8 for r in ranks) >= 19, ranks


def test_hamming_embedding_drops_chance_votes(keyword_bank):
    """Without the embedding check (radius 16 of 16 bits: every posting of a shared word votes) the
    votes for other photos outweigh the right one's several times; with it they are a fraction."""
    index, copies = keyword_bank

    def wrong_per_right(vote: KeywordVote) -> float:
        wrong = right = 0.0
        for truth, _, desc in copies:
            v = index.votes(desc, vote)
            score = dict(zip(v.rows.tolist(), v.score.tolist()))
            right += score.get(truth, 0.0)
            wrong += sum(score.values()) - score.get(truth, 0.0)
        return wrong / right

    loose, tight = wrong_per_right(KeywordVote(he_radius=scale.HE_BITS)), wrong_per_right(KeywordVote())
    assert loose > 2.0 and tight < 0.6 and loose / tight > 5, (loose, tight)


def test_posting_budget_bounds_the_reads_and_keeps_the_copies(keyword_bank):
    """Each copy looked up again with a budget of half the postings it read: the rarest words are
    read, the rest skipped, and the copies still come first."""
    index, copies = keyword_bank
    ranks = []
    for truth, _, desc in copies:
        full = index.votes(desc, KeywordVote()).postings_read
        assert full > 100
        halved = index.votes(desc, KeywordVote(posting_budget=full // 2))
        assert 0 < halved.postings_read <= full // 2
        rows = [r for r, _, _ in halved.top(8)]
        ranks.append(rows.index(truth) if truth in rows else 99)
    assert sum(r == 0 for r in ranks) >= 17 and sum(r < 8 for r in ranks) >= 19, ranks


def reference_votes(index: scale.KeywordIndex, descriptors, vote: KeywordVote) -> dict[int, tuple[float, float]]:
    """KeywordIndex.votes written out descriptor by descriptor: row -> (score, mirrored part)."""
    seen, lists = set(), []
    for side, d in enumerate(descriptors):
        for w, e in zip(scale.words_of(d).tolist(), scale.embedding_of(d).tolist()):
            if (w, e, side) in seen:
                continue
            seen.add((w, e, side))
            i = int(np.searchsorted(index.words, w))
            if i < len(index.words) and index.words[i] == w:
                a, b = int(index.starts[i]), int(index.starts[i + 1])
                if b - a <= max(vote.stop_floor, vote.stop_share * index.n_rows):
                    lists.append((b - a, a, e, side, w))
    if sum(n for n, *_ in lists) > vote.posting_budget:
        kept, read = [], 0
        # the shortest lists first; among lists as long, in (word, embedding, side) order
        for item in sorted(lists, key=lambda x: (x[0], x[4], x[2], x[3])):
            if read + item[0] > vote.posting_budget:
                break
            kept.append(item)
            read += item[0]
        lists = kept
    out: dict[int, tuple[float, float]] = {}
    for n, a, e, side, _ in lists:
        weight = float(np.log1p(index.n_rows / n) ** 2)
        for p in range(a, a + n):
            if bin(int(index.embeddings[p]) ^ e).count("1") <= vote.he_radius:
                s, m = out.get(int(index.postings[p]), (0.0, 0.0))
                out[int(index.postings[p])] = (s + weight, m + weight * (side == 1))
    return out


def test_votes_equal_the_descriptor_by_descriptor_count(keyword_bank):
    """The vectorised votes (slice reads, one sort of the hits) score every row as a plain loop over
    the descriptors and their postings does, with and without a binding posting budget."""
    index, copies = keyword_bank
    for truth, _, desc in copies[::3]:
        full = index.votes(desc, KeywordVote())
        for vote in (KeywordVote(), KeywordVote(posting_budget=full.postings_read // 3)):
            v = index.votes(desc, vote)
            ref = reference_votes(index, desc, vote)
            assert v.rows.tolist() == sorted(ref)
            assert np.allclose(v.score, [ref[r][0] for r in v.rows.tolist()], rtol=1e-12)
            assert np.allclose(v.mirror, [ref[r][1] for r in v.rows.tolist()], rtol=1e-12, atol=1e-12)
            assert truth in v.rows.tolist()


def test_votes_tell_which_side_the_copy_is_on(keyword_bank):
    """The mirror's descriptors vote for a mirrored copy, the upload's own for the others: known_image
    then verifies that side only (KeywordVote.one_side_share)."""
    index, copies = keyword_bank
    share = {}
    for truth, edit, desc in copies:
        top = index.votes(desc, KeywordVote()).top(8)
        share.setdefault(edit, []).append(dict((r, m) for r, _, m in top)[truth])
    assert all(m >= 0.9 for m in share["mirror"]), share
    assert all(m <= 0.25 for e in ("corner_crop", "letterbox", "caption") for m in share[e]), share
    assert sum(m >= 0.8 for m in share["mirror+crop+caption"]) >= 3, share


def test_word_positions_are_fixed():
    # bank and query must hash descriptors the same way forever; changing them needs a reindex
    assert scale.WORD_POSITIONS[:5] == scale.WORD_POSITIONS[:5]
    assert len(set(scale.WORD_POSITIONS)) == scale.WORD_BITS
    assert len(set(scale.HE_POSITIONS)) == scale.HE_BITS
    assert not set(scale.HE_POSITIONS) & set(scale.WORD_POSITIONS)
    d = np.zeros((1, 32), np.uint8)
    assert scale.embedding_of(d)[0] == 0 and scale.embedding_of(np.full((1, 32), 255, np.uint8))[0] == 0xFFFF
    assert scale.words_of(d)[0] == 0 and scale.words_of(np.full((1, 32), 255, np.uint8))[0] == 2**scale.WORD_BITS - 1


@pytest.fixture()
def small(tmp_path):
    eng = Engine(bank=tmp_path / "bank.sqlite")
    for name in ("astronaut", "lomiri_bridge", "opencv_fruits"):
        eng.add_to_bank(R.FIXTURES / f"{name}.jpg", label=name)
    yield eng, tmp_path
    eng.bank.close()


def labels(eng: Engine, data: bytes) -> list[str]:
    return [m.label for m in eng.check(data, checks=["known_image"]).matches]


def test_saved_index_is_memory_mapped_and_follows_adds_and_removals(small):
    eng, tmp = small
    astro = R.FIXTURES.joinpath("astronaut.jpg").read_bytes()
    assert labels(eng, astro) == ["astronaut"]
    folder = tmp / "bank.sqlite.index"
    assert (folder / "manifest.json").exists() and (folder / "kw_postings.npy").exists()

    # a second process opens the saved part memory-mapped and adds through the delta
    other = Bank(tmp / "bank.sqlite")
    index = other.image_index()
    assert isinstance(index.saved.keywords.postings, np.memmap) and index.delta is None
    dune_id, _ = eng.add_to_bank(R.FIXTURES / "mate_dune.jpg", label="mate_dune")
    dune = next(R.positive_queries(("mate_dune",), "dev", (R.EDITS[2],))).data  # a corner crop
    assert labels(Engine(bank=other), dune) == ["mate_dune"]
    delta = other.image_index().delta
    assert delta is not None and dune_id in delta.keyword_ids and dune_id not in index.saved.keyword_ids

    # removal: the saved index still holds the entry, SQLite does not, so it never matches
    eng.bank.store.remove_label("astronaut")
    assert labels(Engine(bank=other), astro) == []
    other.close()


def test_a_stale_index_cannot_invent_a_match(small):
    """The id of a removed entry reused by SQLite for another photo: the saved index still lists the
    old hashes under it; every candidate is checked against SQLite, so the old photo does not match."""
    eng, tmp = small
    fruits = R.FIXTURES.joinpath("opencv_fruits.jpg").read_bytes()
    assert labels(eng, fruits) == ["opencv_fruits"]   # builds and saves the index
    fruit_id = eng.check(fruits, checks=["known_image"]).matches[0].entry_id
    assert fruit_id == eng.bank.store.max_entry_id()
    eng.bank.store.remove([fruit_id])
    new_id, _ = eng.add_to_bank(R.FIXTURES / "mate_dune.jpg", label="mate_dune")
    assert new_id == fruit_id  # SQLite reused the id
    fresh = Engine(bank=Bank(tmp / "bank.sqlite"))
    assert labels(fresh, fruits) == []
    assert labels(fresh, R.FIXTURES.joinpath("mate_dune.jpg").read_bytes()) == ["mate_dune"]
    fresh.bank.close()


def test_reindex_rebuilds_and_a_damaged_index_is_rebuilt(small):
    eng, tmp = small
    bridge = R.FIXTURES.joinpath("lomiri_bridge.jpg").read_bytes()
    assert labels(eng, bridge) == ["lomiri_bridge"]
    folder = tmp / "bank.sqlite.index"
    (folder / "kw_postings.npy").write_bytes(b"not an array")
    fresh = Engine(bank=Bank(tmp / "bank.sqlite"))
    assert labels(fresh, bridge) == ["lomiri_bridge"]
    assert np.load(folder / "kw_postings.npy").size > 100
    fresh.bank.close()


def test_shards_by_entry_id_partition_the_bank(small):
    from imgcheck.bank.image_index import build_part
    from imgcheck.local_features import FEATURE_KIND

    eng, _ = small
    eng.add_to_bank(R.FIXTURES / "mate_dune.jpg", label="mate_dune")
    whole = build_part(eng.bank.store, FEATURE_KIND)
    shards = [build_part(eng.bank.store, FEATURE_KIND, shard=(i, 3)) for i in range(3)]
    assert sorted(np.concatenate([s.keyword_ids for s in shards]).tolist()) == sorted(whole.keyword_ids.tolist())
    assert all(set((s.keyword_ids % 3).tolist()) <= {i} for i, s in enumerate(shards))
    pdq = np.concatenate([s.hashes["pdq"][1] for s in shards])
    assert sorted(pdq.tolist()) == sorted(whole.hashes["pdq"][1].tolist()) and len(pdq) == 4


def test_a_phash_collision_alone_is_not_a_match(tmp_path):
    """64-bit pHashes of unrelated real photos collide by chance in a large bank (2 of 368 unrelated
    uploads did against 10,632 real photos, PDQ 104 and 110 apart). A collision is planted here: the bank
    photo's stored pHash is replaced by the unrelated upload's. The PDQ disagrees, so the hit goes to
    keypoint verification, which refuses it; with the PDQ check off the same bank matches."""
    import sqlite3

    from imgcheck.settings import Settings

    path = tmp_path / "bank.sqlite"
    eng = Engine(bank=path)
    eid, _ = eng.add_to_bank(R.FIXTURES / "lomiri_bridge.jpg", label="lomiri_bridge")
    eng.bank.close()
    unrelated = R.FIXTURES.joinpath("opencv_fruits.jpg").read_bytes()
    ph = dict(views.query_hashes(load_image(unrelated))["phash"])["full"]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE hashes SET bits=? WHERE entry_id=? AND type='phash'", (ph.bits, eid))
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")
    strict = Engine(bank=Bank(path))
    report = strict.check(unrelated, checks=["known_image"])
    assert report.matches == ()
    verified = report.evidence[0].details["verified"]
    assert any(v["entry_id"] == eid and not v["accepted"] for v in verified), verified
    loose = Engine(bank=Bank(path), settings=Settings(phash_confirm_pdq=256))
    assert [m.method for m in loose.check(unrelated, checks=["known_image"]).matches] == ["phash"]
    # a true copy found by pHash (a 3-degree rotation) is still found
    eng = Engine(bank=tmp_path / "astro.sqlite")
    eng.add_to_bank(R.FIXTURES / "astronaut.jpg", label="astronaut")
    q = next(R.positive_queries(("astronaut",), "dev", (R.EDITS[5],)))
    top = eng.check(q.data, checks=["known_image"]).matches[0]
    assert top.label == "astronaut" and top.method in ("pdq+orb", "pdq", "phash")


def test_chance_candidates_after_a_copy_is_found_are_not_verified(tmp_path):
    """A bank of every re-upload photo; a corner crop of one is found by its keypoints. The other
    keyword candidates hold chance votes only (well under half the copy's): with the default
    KeywordVote they are not verified, with after_match_share=0 they all are, and the answer is
    the same."""
    from dataclasses import replace

    from imgcheck.settings import Settings

    eng = Engine(bank=tmp_path / "bank.sqlite")
    for p in sorted(R.FIXTURES.glob("*.jpg")):
        eng.add_to_bank(p, label=p.stem)
    q = next(R.positive_queries(("lomiri_bridge",), "dev", (R.EDITS[2],)))
    default = eng.check(q.data, checks=["known_image"])
    everything = Engine(bank=eng.bank, settings=replace(Settings(), keyword_vote=KeywordVote(
        after_match_share=0.0))).check(q.data, checks=["known_image"])
    assert [m.label for m in default.matches][:1] == ["lomiri_bridge"]
    assert [m.label for m in everything.matches] == [m.label for m in default.matches]
    n_default = len(default.evidence[0].details["verified"])
    n_all = len(everything.evidence[0].details["verified"])
    assert n_all >= n_default + 3, (n_default, n_all)


def test_scan_only_queries_skip_the_parts_too_large_to_scan():
    """Near misses of the trimmed views are looked up where the part is scanned (a small bank or
    the delta), not through the multi-index tables of a large part (known_image)."""
    from imgcheck.bank.image_index import ImageIndex, make_part

    rng = np.random.default_rng(3)
    bits = rng.integers(0, 256, (30_000, 32), dtype=np.uint8)
    index = ImageIndex(None, None, local.FEATURE_KIND)
    index.saved = make_part({"pdq": (np.arange(1, 30_001), bits)}, [])
    q = bits[[5, 7]].copy()
    q[:, 0] ^= 1  # one bit away from entries 6 and 8
    assert {6, 8} <= set(index.hash_candidates("pdq", q, 47, 90, 20_000))  # 30,000 rows: multi-index
    large = index.hash_candidates("pdq", q, 47, 90, 20_000, np.array([False, True]))
    assert 6 in large and 8 not in large
    scanned = index.hash_candidates("pdq", q, 47, 90, 40_000, np.array([False, True]))
    assert {6, 8} <= set(scanned) and scanned[8] == (1, 1)
