#!/usr/bin/env bash
# A stackel study as a Slurm job array: 16 shards, each one job, then a merge.
#
#   sbatch --array=0-15 examples/cluster/slurm.sh        # the shards
#   sbatch --dependency=afterok:<array job id> --wrap \
#     "stackel merge out/duopoly out/duopoly/shard-*"    # the whole study
#
# Every shard draws the same random streams it would draw in one run, so the
# merged result is bit-identical to the study run on one machine. A shard
# that finished is not run again when the array is resubmitted (--resume).
#SBATCH --job-name=stackel-duopoly
#SBATCH --cpus-per-task=8
#SBATCH --time=00:30:00
#SBATCH --output=out/duopoly/slurm-%A_%a.log
set -euo pipefail
shards=${SLURM_ARRAY_TASK_COUNT:-16}
i=${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array}
stackel study games/duopoly.stk \
  --rule two-timescale --leader-rate 1,11,1 --follower-rate 1,11,0.6666667 \
  --trajectories 10000000 --steps 10000 --noise 10 --init 10,10 --seed 1 \
  --shard "$i/$shards" --resume --out "out/duopoly/shard-$i"
