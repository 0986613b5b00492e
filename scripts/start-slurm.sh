#!/usr/bin/env bash
# Starts a single-node SLURM on this machine (munged, slurmctld and slurmd on localhost), to try
# `wmsim slurm` jobs for real and for the real-SLURM test (Tests/WMSimCLITests/SlurmClusterCLITests.swift).
# Debian/Ubuntu, as root; installs slurm-wlm and munge if they are missing. Needs neither systemd
# nor cgroups. Everything it writes (munge key, slurm.conf, state, logs, PIDs) goes into
# $WMSIM_SLURM_DIR (default /tmp/wmsim-slurm): /etc and the system's munge are left alone.
#
#   eval "$(scripts/start-slurm.sh)"   # stdout is one line: export SLURM_CONF=DIR/slurm.conf
#   sinfo; squeue; …                    # the SLURM commands now talk to this cluster
#   scripts/stop-slurm.sh               # cancels its jobs, stops exactly the daemons started here
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${WMSIM_SLURM_DIR:-/tmp/wmsim-slurm}
case "$dir" in /*) ;; *) echo "WMSIM_SLURM_DIR must be an absolute path: $dir" >&2; exit 64 ;; esac
say() { echo "start-slurm: $*" >&2; }

# slurmd runs jobs as their submitter and must be root to do so; munged checks key ownership.
if [ "$(id -u)" != 0 ]; then
  say "run as root (slurmd starts jobs as their user); as a user, ask for a SLURM account instead"
  exit 1
fi
pkgs=(slurm-wlm slurmctld slurmd slurm-client munge)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# A second cluster on the same ports would fail obscurely: refuse while ours is up.
if [ -f "$dir/pids" ]; then
  while read -r name pid; do
    if [ -d "/proc/$pid" ] && grep -qa "$name" "/proc/$pid/cmdline" 2>/dev/null; then
      say "$name is still running (pid $pid) from an earlier start; stop it with scripts/stop-slurm.sh"
      exit 1
    fi
  done <"$dir/pids"
fi

# A fresh cluster each time: the old job state would otherwise be recovered (and job ids go on).
mkdir -p "$dir"
rm -rf "$dir/state" "$dir/spool" "$dir/munge" "$dir/pids"
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
# munged wants a socket folder that all can enter and only we can write to.
chmod 755 "$dir/munge"
conf=$dir/slurm.conf
sock=$dir/munge/munge.socket.2

pids=()
started() { pids+=("$1 $2"); printf '%s\n' "${pids[@]}" >"$dir/pids"; }
fail() {
  say "$*"
  for f in "$dir"/log/*.log; do [ -f "$f" ] && { say "--- $f (last lines)"; tail -n 20 "$f" >&2; }; done
  scripts/stop-slurm.sh >&2 || true
  exit 1
}

# munge: our own key and socket, so nothing of the system's changes.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
# setsid: the daemons outlive this script and ignore the terminal's Ctrl-C; their output goes to
# files, so `$(start-slurm.sh)` does not wait on them.
setsid munged -F --key-file="$dir/munge/munge.key" --socket="$sock" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/log/munged.log" 2>&1 &
started munged $!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
munge -n -S "$sock" | unmunge -S "$sock" >/dev/null 2>&1 || fail "munged does not answer on $sock"

cpus=$(nproc)
# Slightly under the total: a node that reports less memory than configured is drained.
mem=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
cat >"$conf" <<EOF
# Written by wmsim's scripts/start-slurm.sh: a single-node cluster on localhost.
ClusterName=wmsim
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
# No cgroups or systemd here: track processes by their parent, no task binding, no accounting
# (so no sacct: squeue and scontrol show the jobs).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A node that registers is usable again at once, whatever stopped it before.
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf

setsid slurmctld -D -f "$conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
started slurmctld $!
# The machine's hostname is not "localhost": -N names the node as the config does.
setsid slurmd -D -N localhost -f "$conf" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
started slurmd $!

state=""
for _ in $(seq 120); do
  state=$(timeout 10 sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$state" in idle*) break ;; esac
  sleep 0.5
done
case "$state" in idle*) ;; *) fail "the node is not idle after 60 s (sinfo: ${state:-no answer})" ;; esac

say "single-node SLURM up: $cpus CPU(s), $mem MB, partition debug; config, state and logs in $dir"
say "use it with: export SLURM_CONF=$conf   stop it with: scripts/stop-slurm.sh"
echo "export SLURM_CONF=$conf"
