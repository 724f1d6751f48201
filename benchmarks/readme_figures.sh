#!/usr/bin/env bash
# The README's absolute latency and throughput figures that need the idle 2-core machine, each printed
# under the README passage it feeds and the load at its start.
# Run from the repository root on the idle machine:  bash benchmarks/readme_figures.sh
# About 6.5 min on the idle machine (2026-12-02). batch_scan runs only the two hash-only rows; the
# all-checks and Ray rows take much longer and are not run here.
set -uo pipefail
export OMP_NUM_THREADS=2
PY=${PY:-python}
hdr() { echo; echo "=== README.md, $1"; uptime; }

hdr "Speed: imgcheck check --checks known_image on 12 MP JPEGs, whole processes"
$PY -m benchmarks.check_speed --n 40 --in-bank 10 --rounds 1

hdr "Speed: Hash path on 12 MP JPEGs"
$PY -m benchmarks.hash_speed --n 16 --rounds 3

hdr "AI detector: Latency (full AI evidence path p50)"
$PY benchmarks/ai_evidence_latency.py --threads 2 --repeat 3

hdr "Batch scan table: the hash-only rows, 1 process and 2 workers"
$PY benchmarks/batch_scan.py --images 2000 --only "hash 1w,hash 2w"

hdr "First check after start (figures in docs/app.md)"
$PY benchmarks/app_first_check.py
