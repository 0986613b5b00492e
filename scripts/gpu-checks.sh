#!/usr/bin/env bash
# The checks a lent GPU session runs in one go (issues 15 and 16's GPU targets), from the
# repository root on the device machine, with .gpu/ packed by scripts/pack-gpu.sh and carried:
#   device tool: run(command: "scripts/gpu-checks.sh", carry: [".gpu"], timeout_s: 560)
# Every step has its own timeout and log under $OUT, so a failure half way still brings back
# what ran; the summary at the end lists each step's exit status.
set -u
OUT=${OUT:-/tmp/wmsim-gpu-out}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
( cd .gpu && { [ -f wmsim ] || gunzip -f wmsim.gz; } && chmod +x wmsim && tar xzf libs.tar.gz ) || { echo "no .gpu/ (run scripts/pack-gpu.sh and carry .gpu)"; exit 2; }
lib=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 2>/dev/null | head -1)
mkdir -p /tmp/icd && echo "$lib" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd LD_LIBRARY_PATH=$PWD/.gpu:$(dirname "$lib")
W=.gpu/wmsim
summary=()
step() {  # step NAME SECONDS COMMAND…
  local name=$1 t=$2; shift 2
  local s=$(date +%s)
  timeout "$t" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  summary+=("$name rc=$rc $(( $(date +%s) - s )) s")
  echo "== $name (rc $rc)"; tail -15 "$OUT/$name.log"
}
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
step devices 30 $W devices
step crosscheck 90 $W crosscheck --configs 12 --json "$OUT/crosscheck.json"
# Issue 15: A, B, C at batch 1 and 64 (peers: whatever Python the host has; JAX is not there).
step bench-abc 150 $W bench --backend opencl --workloads A,B,C --batches 1,64 --quick --repeats 3 --json "$OUT/bench-abc.json"
# Issue 16: C with and without SELL sorting, and with bf16 weights (share of HBM copy bandwidth).
step bench-c-sigma1 60 $W bench --backend opencl --workloads C --batches 1,64 --quick --repeats 3 --sell-sigma 1 --json "$OUT/bench-c-sigma1.json"
step bench-c-bf16 60 $W bench --backend opencl --workloads C --batches 1,64 --quick --repeats 3 --weight-precision bf16 --json "$OUT/bench-c-bf16.json"
# Issue 16: workload G (10^10 synapses, procedural) — one timed step plus its count.
step bench-g 150 $W bench --backend opencl --workloads G --batches 1 --quick --repeats 1 --json "$OUT/bench-g.json"
printf '%s\n' "${summary[@]}" | tee "$OUT/summary.txt"
