#!/usr/bin/env bash
# Builds stackel's GPU engine, runs its tests and the GPU-vs-CPU benchmark on
# this machine's GPU (e.g. an NVIDIA card through Vulkan), printing the device
# first and everything after it.
#
#   scripts/gpu-bench.sh [N trajectories] [K steps]     (defaults 1048576 1000)
#
# Needs the Vulkan loader (libvulkan1) and the GPU's Vulkan driver. If wgpu
# does not find the NVIDIA driver, point VK_DRIVER_FILES at its ICD JSON
# (the script does so when it finds one in the usual places).
set -uo pipefail
cd "$(dirname "$0")/.."
N="${1:-1048576}"
K="${2:-1000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/gpu-bench}"

echo "== device"
date -u
uname -a
nproc
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
ldconfig -p 2>/dev/null | grep -E 'libvulkan\.so' || echo "no Vulkan loader (libvulkan1) found"
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
           /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
           /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -e "$f" ]; then
      export VK_DRIVER_FILES="$f"
      echo "VK_DRIVER_FILES=$f"
      break
    fi
  done
fi
command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | sed -n '/Devices:/,$p'
cargo --version
rustc --version

echo "== build (release)"
cargo build --release -p stackel-runtime --features gpu --example gpu_bench --tests || exit 1

echo "== GPU tests"
cargo test --release -p stackel-runtime --features gpu \
  --test gpu_kernels --test gpu_engine --test gpu_pipeline -- --nocapture --test-threads=1
tests=$?
cargo test --release -p stackel-symbolic --test wgsl_emit
wgsl=$?

echo "== benchmark: N = $N trajectories, K = $K steps"
"$CARGO_TARGET_DIR/release/examples/gpu_bench" "$N" "$K"
bench=$?

echo "== exit codes: gpu tests $tests, wgsl tests $wgsl, benchmark $bench"
[ "$tests" -eq 0 ] && [ "$wgsl" -eq 0 ] && [ "$bench" -eq 0 ]
