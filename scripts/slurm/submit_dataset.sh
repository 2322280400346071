#!/bin/sh
# Submits a sharded dataset to Slurm: an array of N `quass simulate dataset --shard i/N`
# tasks, then a join job that starts when all of them succeeded (--dependency=afterok).
#
#   sh scripts/slurm/submit_dataset.sh N [sbatch flags for both jobs...]
#
# QUASS_N, QUASS_SEED, QUASS_OUT, QUASS_ARGS, QUASS_CMD as in dataset.sbatch. Prints the
# two job ids ("ARRAY_ID JOIN_ID"). See docs/cluster.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shards=${1:?usage: submit_dataset.sh N [sbatch flags...]}
shift
export QUASS_SHARDS="$shards"
array=$(sbatch --parsable --array="0-$((shards - 1))" --export=ALL "$@" "$here/dataset.sbatch")
array=${array%%;*}
join=$(QUASS_STAGE=join sbatch --parsable --dependency="afterok:$array" --job-name=quass-dataset-join \
  --output=quass-dataset-join-%j.log --export=ALL "$@" "$here/dataset.sbatch")
echo "$array ${join%%;*}"
