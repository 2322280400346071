#!/bin/sh
# A throwaway single-node Slurm cluster on this machine (for tests/scripts/cluster_test.ts
# and for trying scripts/slurm/ by hand): munged + slurmctld + slurmd, all state, logs and
# the configuration in DIR, nothing under /etc touched.
#
#   sh scripts/slurm/local_cluster.sh start DIR    # prints: export SLURM_CONF=DIR/slurm.conf
#   sh scripts/slurm/local_cluster.sh stop DIR
#
# Needs root and Debian's slurmd, slurmctld, slurm-client and munge
# (apt-get install slurmd slurmctld slurm-client munge).
set -eu
cmd=${1:?usage: local_cluster.sh start|stop DIR}
dir=${2:?usage: local_cluster.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stop_pid() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null || true; rm -f "$1"; }
if [ "$cmd" = stop ]; then
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munged.pid"
  exit 0
fi
host=$(hostname -s)
cpus=$(nproc)
port=${QUASS_SLURM_PORT:-16817}
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
# munge: a private key and socket
[ -f "$dir/munge/munge.key" ] || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 755 "$dir/munge"
chmod 400 "$dir/munge/munge.key"
sock="$dir/munge/munge.socket"
munged --force --key-file="$dir/munge/munge.key" --socket="$sock" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"
cat >"$dir/slurm.conf" <<CONF
ClusterName=quasstest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$dir/slurm.conf"
fail() {
  echo "local_cluster: $1 failed; the end of its log ($dir):" >&2
  tail -n 8 "$dir/$2" >&2 || true
  exit 1
}
slurmctld -i || fail slurmctld slurmctld.log
slurmd || fail slurmd slurmd.log
# wait for the node to come up
i=0
while [ $i -lt 30 ]; do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  case "$state" in idle* | mixed* | alloc*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 1
  i=$((i + 1))
done
echo "local_cluster: the node did not come up (state '${state:-none}'); logs in $dir" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
