"""Hash-list exchange in the ThreatExchange styles: HMA-named CSV columns and ``pdq <hash>`` lines."""

from __future__ import annotations

import csv

from imgcheck.bank import Bank
from imgcheck.bank.exchange import export_csv, import_csv


def test_csv_starts_with_the_hma_signal_columns(celeb_engine, tmp_path):
    out = tmp_path / "list.csv"
    export_csv(celeb_engine.bank.store, out)
    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[0][:2] == ["signal_type", "signal_value"]
    assert all(r[0] == "pdq" and len(r[1]) == 64 and r[1] == r[1].lower() for r in rows[1:])


def test_threatexchange_line_style_round_trip(celeb_engine, tmp_path, fixtures):
    out = tmp_path / "list.txt"
    assert export_csv(celeb_engine.bank.store, out, style="te") == 4
    lines = out.read_text().splitlines()
    assert all(ln.startswith("pdq ") and len(ln) == 68 for ln in lines)
    other = Bank(tmp_path / "other.sqlite")
    assert import_csv(other.store, out) == (4, 0)
    assert import_csv(other.store, out) == (0, 4)
    from imgcheck import Engine

    report = Engine(bank=other).check(fixtures / "obama.jpg", checks=["known_image"])
    assert report.matches and report.matches[0].method == "pdq" and report.matches[0].distance == 0
