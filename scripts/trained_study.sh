#!/usr/bin/env bash
# How trained networks hold a memory, end to end (docs/trained-study.md):
#   1. train a population over g × fb (docs/trained-study/population.toml),
#   2. analyse every trained network (mechanism, fixed points, robustness) and compare
#      the mechanisms (the seed's claim),
#   3. check every fixed point in NumPy.
# Every step resumes if interrupted: rerun the script.
# usage: scripts/trained_study.sh [OUT] [extra wmsim flags, e.g. --backend opencl]
# The population file: $POPULATION (default docs/trained-study/population.toml; the others in
# docs/trained-study/ are the reference-timeline studies).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-wmsim-out/trained-study}
shift || true
swift build -c release --product wmsim >&2
w=.build/release/wmsim
$w train --config "${POPULATION:-docs/trained-study/population.toml}" --out "$out" "$@"
$w analyze "$out" "$@"
if python3 -c "import numpy, scipy" 2>/dev/null; then
  python3 scripts/replay_analysis.py "$out/analysis.jsonl" --classification --summary
fi
$w report "$out" --title "Trained population" --force
echo "study written to $out (results.jsonl, success.csv, analysis.jsonl, analysis-summary.json, analysis-plots/, report.html)"
