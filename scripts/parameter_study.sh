#!/usr/bin/env bash
# Reproduces the seed's parameter study end to end (docs/parameter-study.md):
#   1. one-at-a-time effects of N, g, gIn, sp, spIn around the defaults (5 seeds each),
#   2. interactions on two grids (N × gIn, g × sp),
#   3. the optimised network (CMA-ES over g, gIn, sp, spIn at N = 500),
# each with `wmsim stats` / plots. Every step resumes if interrupted: rerun the script.
# usage: scripts/parameter_study.sh [OUT] [extra wmsim flags, e.g. --backend cpu]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-wmsim-out/study}
shift || true
swift build -c release --product wmsim >&2
w=.build/release/wmsim
mkdir -p "$out"
$w sweep --config docs/study/one-at-a-time.toml --out "$out/one-at-a-time.jsonl" "$@"
$w stats "$out/one-at-a-time.jsonl" --out "$out/one-at-a-time-mc"
$w stats "$out/one-at-a-time.jsonl" --metric r --out "$out/one-at-a-time-r"
$w sweep --config docs/study/interactions.toml --out "$out/interactions.jsonl" "$@"
$w stats "$out/interactions.jsonl" --out "$out/interactions-mc"
$w sweep --config docs/study/null-pair.toml --out "$out/null-pair.jsonl" "$@"
$w stats "$out/null-pair.jsonl" --out "$out/null-pair-mc"
$w optimize --n 500 --param g=0.3:1.6 --param gin=0.5:40 --param sp=0.02:0.6 --param spin=0.01:0.5 \
  --budget 80 --final-seeds 8 --out "$out/optimize" "$@"
# One page with every result, figure and reproduce command (rewritten on each run).
$w report "$out" --title "Parameter study" --force
echo "study written to $out (report: $out/report.html)"
