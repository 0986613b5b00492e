#!/usr/bin/env bash
# Stops the single-node SLURM that scripts/start-slurm.sh started: cancels its jobs, then stops
# exactly the daemons it recorded in $WMSIM_SLURM_DIR/pids (default /tmp/wmsim-slurm), nothing
# else. The folder (config, logs) is kept for reading; the next start clears its state.
set -euo pipefail
dir=${WMSIM_SLURM_DIR:-/tmp/wmsim-slurm}
say() { echo "stop-slurm: $*" >&2; }
if [ ! -f "$dir/pids" ]; then
  say "nothing to stop ($dir/pids does not exist)"
  exit 0
fi

# Is PID still the daemon NAME we started (and not a reused PID)?
ours() { [ -d "/proc/$2" ] && grep -qa "$1" "/proc/$2/cmdline" 2>/dev/null; }

# Cancel this cluster's jobs first, while slurmd can still end them: a job step outlives slurmd.
export SLURM_CONF=$dir/slurm.conf
if [ -f "$SLURM_CONF" ] && ours slurmctld "$(awk '$1 == "slurmctld" { print $2 }' "$dir/pids")"; then
  jobs=$(timeout 10 squeue -h -o %A 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086  # one word per job id
    timeout 10 scancel $jobs 2>/dev/null || true
    for _ in $(seq 60); do
      [ -z "$(timeout 10 squeue -h -o %A 2>/dev/null || true)" ] && break
      sleep 0.5
    done
  fi
fi

# slurmd and slurmctld before munged, which they need to shut down cleanly.
for name in slurmd slurmctld munged; do
  pid=$(awk -v n="$name" '$1 == n { print $2 }' "$dir/pids")
  [ -n "$pid" ] || continue
  ours "$name" "$pid" || continue
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do ours "$name" "$pid" || break; sleep 0.1; done
  if ours "$name" "$pid"; then
    say "$name (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  say "stopped $name (pid $pid)"
done
rm -f "$dir/pids"
