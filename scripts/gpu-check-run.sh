#!/usr/bin/env bash
# Step 2 of the GPU check (copied to .gpu-check/run.sh by
# scripts/gpu-check-build.sh): runs on a bare GPU machine with only the
# binaries of that folder and the Vulkan loader, which it unpacks from the
# carried libvulkan1 and GLVND packages when the machine lacks them (needs root). Prints
# the device and adapter, every GPU test result, the benchmark table, and
# JAX's numbers for the same duopoly study when `import jax` works.
#
#   .gpu-check/run.sh [gpu_bench flags]      e.g. --n 10,12 --k 100,1000 on lavapipe
#
# JAX_N and JAX_K (default 1048576 and 1000) size the JAX runs. Exits non-zero
# when a test or the benchmark failed. The whole run takes about 2-3 minutes
# on an H100 with the default sizes.
set -uo pipefail
cd "$(dirname "$0")"
echo "== device"
date -u
uname -srm
echo "CPU cores: $(nproc)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' ||
  ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch\.so\.0'; then
  echo "no Vulkan loader or no GLVND (the NVIDIA driver needs both): unpacking debs/*.deb"
  for f in debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
ldconfig -p | grep 'libvulkan\.so\.1' || echo "still no Vulkan loader"
NV=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -e "$NV" ]; then
  export VK_DRIVER_FILES="$NV"
fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-the loader default}"
# a GPU test that finds no adapter fails instead of being ignored
export STACKEL_REQUIRE_GPU=1
status=0

echo "== GPU tests"
for t in gpu_kernels wgsl_emit gpu_engine gpu_pipeline gpu_study; do
  echo "-- $t"
  "bin/$t" --test-threads=1 2>&1 | grep -v XDG_RUNTIME_DIR
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "-- $t FAILED (exit $rc)"; status=1; }
done

echo "== benchmark: bin/gpu_bench $*"
bin/gpu_bench "$@" 2>&1 | grep -v XDG_RUNTIME_DIR
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "-- gpu_bench FAILED"; status=1; }

echo "== JAX jit + scan, duopoly two-timescale, N = ${JAX_N:-1048576}, K = ${JAX_K:-1000}"
if [ -e mc_jax.py ] && [ -e mc_numpy.py ] && python3 -c "import jax" 2>/dev/null; then
  python3 -c "import jax; print('JAX', jax.__version__, jax.devices())"
  for rng in threefry rbg; do
    python3 mc_jax.py --N "${JAX_N:-1048576}" --K "${JAX_K:-1000}" --dyn stackelberg \
      --dtype float32 float64 --rng "$rng" --out "${TMPDIR:-/tmp}/stackel-mc-jax-$rng.json" ||
      echo "-- JAX ($rng) failed"
  done
else
  echo "skipped: no mc_jax.py here or python3 cannot import jax"
fi

echo "== done: $([ "$status" -eq 0 ] && echo 'all GPU tests and the benchmark passed' || echo 'FAILURES above')"
exit "$status"
