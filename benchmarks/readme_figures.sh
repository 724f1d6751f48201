#!/usr/bin/env bash
# The README's absolute
# latency/throughput figures that need the idle 2-core machine, each with the README line it feeds.
# Run from the repository root on the idle machine after the CI rehearsal:  bash benchmarks/readme_figures.sh
# Estimated total ~7-8 min (batch_scan is limited to the two rows that do not need Ray; the full
# table with Ray and --images 2000 takes longer and is left to the next session).
set -uo pipefail
export OMP_NUM_THREADS=2
PY=${PY:-python}
hdr() { echo; echo "=== README.md line $1: $2"; uptime; }

hdr 446-455 "known_image CLI vs naive loop (x2.24 wall, x1.51 CPU; cli3x #13 changes it)"
$PY -m benchmarks.check_speed --n 40 --in-bank 10 --rounds 1

hdr 432-441 "hash path on 12 MP JPEGs (x4.8 one thread, x8.4 hash_files on 2 cores)"
$PY -m benchmarks.hash_speed --n 16 --rounds 3

hdr 570-578 "AI evidence path p50 (181.5 ms full path, 175.0 pixel, 5.5 watermark, 0.3 provenance, 5.4 decode)"
$PY benchmarks/ai_evidence_latency.py --threads 2 --repeat 3

hdr 221-244 "batch scan hash-only, 1 process and 2 workers (19.43 / 31.92 images/s; x1.64)"
$PY benchmarks/batch_scan.py --images 2000 --only "hash 1w,hash 2w"

hdr 118 + docs/app.md "app first check"
$PY benchmarks/app_first_check.py
