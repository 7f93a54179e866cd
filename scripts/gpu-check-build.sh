#!/usr/bin/env bash
# Step 1 of the GPU check, on a machine with the Rust toolchain: builds, in
# release, every GPU test binary and the GPU benchmark, strips them and puts
# them in .gpu-check/ (git-ignored) with the Vulkan loader's Debian package
# (libvulkan1 and GLVND, for the bare GPU machine), ../shared/bench/mc_jax.py (with
# mc_numpy.py, which it imports) and the
# run step, .gpu-check/run.sh (scripts/gpu-check-run.sh).
#
#   scripts/gpu-check-build.sh          then carry .gpu-check/ to the GPU machine and run
#   .gpu-check/run.sh [gpu_bench flags] there (no Rust toolchain needed)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.gpu-check
rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/debs"
json="$OUT/cargo-messages.json"
: >"$json"
cargo test --release --no-run --message-format=json -p stackel-runtime --features gpu \
  --test gpu_engine --test gpu_pipeline --test gpu_kernels >>"$json"
cargo test --release --no-run --message-format=json -p stackel-symbolic --test wgsl_emit >>"$json"
cargo test --release --no-run --message-format=json --features gpu --test gpu_study >>"$json"
cargo build --release --message-format=json --features gpu --example gpu_bench >>"$json"
# every executable cargo reported, named after its target (gpu_engine, ..., gpu_bench)
grep -o '"target":{[^}]*"name":"[^"]*".*"executable":"[^"]*"' "$json" |
  sed -E 's/.*"name":"([^"]*)".*"executable":"([^"]*)"/\1 \2/' |
  while read -r name exe; do
    cp "$exe" "$OUT/bin/$name"
    strip "$OUT/bin/$name"
  done
rm "$json"
ls "$OUT/bin"
for t in gpu_engine gpu_pipeline gpu_kernels wgsl_emit gpu_study gpu_bench; do
  [ -x "$OUT/bin/$t" ] || { echo "missing $t" >&2; exit 1; }
done
# the Vulkan loader for a machine that has the NVIDIA driver but no loader,
# and GLVND, which the NVIDIA Vulkan driver (libGLX_nvidia) loads: with the
# loader alone the H200 machine found no adapter
debs="libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2"
# shellcheck disable=SC2086
(cd "$OUT/debs" && { apt-get download $debs 2>/dev/null || { apt-get update -qq && apt-get download $debs; }; })
# mc_jax.py imports mc_numpy.py
cp ../shared/bench/mc_jax.py ../shared/bench/mc_numpy.py "$OUT/" 2>/dev/null ||
  echo "../shared/bench/mc_jax.py or mc_numpy.py not found: the run step will skip JAX" >&2
cp scripts/gpu-check-run.sh "$OUT/run.sh"
chmod +x "$OUT/run.sh"
du -sh "$OUT"
