#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the cluster engine's tests and for trying
# `npm run batch -- ... --engine slurm` without a cluster (docs/cluster.md). Needs root and Debian's
# slurm-wlm and munge (`.ci/run` installs them). Idempotent: when the node already answers idle, it
# only says so. What it does:
#   1. a munge key (/etc/munge/munge.key, 1024 random bytes, owner munge, mode 400) if there is none;
#   2. /etc/slurm/slurm.conf for this host (its short name, cores and memory) unless a slurm.conf that
#      this script did not write is there (then that one is used as it is);
#   3. starts munged (as the munge user), slurmctld and slurmd unless they run;
#   4. waits until `sinfo` reports the node idle (SLURM_LOCAL_TIMEOUT seconds, default 90).
# Stop it with: scripts/slurm-local.sh stop   (ends the daemons by the pids in their pid files)
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARK='# written by hdmea-workbench scripts/slurm-local.sh'
HOST=$(hostname -s)
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-90}
PIDS=/run/hdmea-slurm
log() { echo "slurm-local: $*" >&2; }

stop_daemons() {
  for name in slurmd slurmctld munged; do
    if [ -f "$PIDS/$name.pid" ]; then
      pid=$(cat "$PIDS/$name.pid")
      kill "$pid" 2>/dev/null && log "stopped $name ($pid)" || true
      rm -f "$PIDS/$name.pid"
    fi
  done
}

if [ "${1:-}" = stop ]; then stop_daemons; exit 0; fi
[ "$(id -u)" = 0 ] || { log "must run as root (it starts the SLURM daemons)"; exit 1; }
for bin in munged slurmctld slurmd sinfo sbatch; do
  command -v "$bin" >/dev/null || { log "$bin is missing: apt-get install -y slurm-wlm munge"; exit 1; }
done

node_state() { sinfo -h -n "$HOST" -o %t 2>/dev/null | head -1 || true; }
case "$(node_state)" in idle|mix|alloc) log "node $HOST is up ($(node_state))"; exit 0 ;; esac

mkdir -p "$PIDS" /etc/munge /run/munge /var/lib/munge /var/log/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  log "made a munge key"
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 400 /etc/munge/munge.key
chmod 700 /etc/munge

if [ ! -f "$CONF" ] || head -1 "$CONF" | grep -qF "$MARK"; then
  cpus=$(nproc)
  mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  cat > "$CONF" <<CONF
$MARK
ClusterName=hdmea-local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$PIDS/slurmctld.pid
SlurmdPidFile=$PIDS/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay visible to squeue for 10 minutes (there is no accounting database here).
MinJobAge=600
KillWait=10
NodeName=$HOST CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
  log "wrote $CONF ($HOST, $cpus CPUs, $mem_mb MB)"
fi

if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid 2>/dev/null || runuser -u munge -- /usr/sbin/munged
  cp /run/munge/munged.pid "$PIDS/munged.pid" 2>/dev/null || pgrep -x munged | head -1 > "$PIDS/munged.pid"
  log "started munged"
fi
pgrep -x slurmctld >/dev/null || { /usr/sbin/slurmctld; log "started slurmctld"; }
pgrep -x slurmd >/dev/null || { /usr/sbin/slurmd; log "started slurmd"; }

for ((i = 0; i < TIMEOUT; i++)); do
  state=$(node_state)
  case "$state" in
    idle|mix|alloc) log "node $HOST is up ($state) after ${i} s"; exit 0 ;;
    down*|drain*|drng*) scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 1
done
log "the node did not become idle within ${TIMEOUT} s (state: '$(node_state)'); see /var/log/slurm/"
exit 1
