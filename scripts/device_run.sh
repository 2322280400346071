#!/bin/sh
# Runs quass' device benchmarks from the kit in .device/ (scripts/device_kit.sh) on a bare
# x86-64 Linux machine: no network, no deno, no npm cache, maybe no Vulkan loader.
#
#   sh scripts/device_run.sh [quick|full] [OUTDIR]     (OUTDIR default: $OUT, else bench/results/device)
#
# Unpacks deno and its package cache into a temporary folder, uses the kit's Vulkan loader (and
# libGLdispatch) when the system has none, points Vulkan at the NVIDIA ICD when no ICD is found in the usual
# places, prints the adapter, then runs bench/device.ts: simulation throughput, the nn
# benchmarks (default and paper size, ours vs tfjs-webgpu) and a short training run. Results:
# OUTDIR/device.json, device.md, log.txt and bench/{layers,train,infer}.json + RESULTS.md.
# `full` takes ≤ 8 minutes; `quick` is the smoke test (a couple of minutes on lavapipe).
# See docs/device.md.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-full}
case "$mode" in quick | full) ;; *)
  echo "usage: device_run.sh [quick|full] [OUTDIR]" >&2
  exit 2
  ;;
esac
outdir=${2:-${OUT:-bench/results/device}}
kit=${QUASS_KIT:-.device}
[ -f "$kit/deno.xz" ] || { echo "device_run: no kit at $kit (run scripts/device_kit.sh)" >&2; exit 1; }
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
start=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. deno and its cache (xz, else Python's lzma)
unxz_to() { # unxz_to FILE.xz DEST
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"; else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
  fi
}
mkdir -p "$tmp/bin"
unxz_to "$kit/deno.xz" "$tmp/bin/deno"
chmod +x "$tmp/bin/deno"
unxz_to "$kit/deno_dir.tar.xz" "$tmp/deno_dir.tar"
tar -xf "$tmp/deno_dir.tar" -C "$tmp" && rm "$tmp/deno_dir.tar"
export DENO_DIR="$tmp/deno_dir" PATH="$tmp/bin:$PATH" NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
# Offline: the npm packages from the kit's cache only, no node_modules folder.
export QUASS_DENO_FLAGS="--cached-only --node-modules-dir=none"

# 2. Vulkan: the kit's libraries the system lacks (all of them with QUASS_KIT_LOADER=1);
#    the NVIDIA ICD when none is found.
mkdir -p "$tmp/lib"
from_kit=""
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
for f in "$kit"/lib/*.so.[0-9]; do
  name=$(basename "$f")
  if [ -n "${QUASS_KIT_LOADER:-}" ] || ! "$ldconfig" -p 2>/dev/null | grep -q "$name "; then
    cp -L "$f" "$tmp/lib/$name"
    from_kit="$from_kit $name"
  fi
done
if [ -n "$from_kit" ]; then
  export LD_LIBRARY_PATH="$tmp/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "device_run: from the kit:$from_kit" >&2
fi
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  elif ! ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json \
    /usr/local/share/vulkan/icd.d/*.json >/dev/null 2>&1; then
    echo "device_run: warning: no Vulkan ICD found (set VK_DRIVER_FILES to the driver's JSON)" >&2
  fi
fi
echo "device_run: Vulkan driver files: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-(the loader's search path)}}" >&2
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true
export DENO_WEBGPU_BACKEND=${DENO_WEBGPU_BACKEND:-vulkan}
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR="$tmp/xdg"
  mkdir -p "$XDG_RUNTIME_DIR"
  export XDG_RUNTIME_DIR
fi
echo "device_run: deno $(deno --version | head -1 | cut -d' ' -f2), unpacked in $(($(date +%s) - start)) s" >&2

# 3. The run (bench/device.ts prints the adapter first).
# shellcheck disable=SC2086
{
  deno run -A $QUASS_DENO_FLAGS bench/device.ts "$mode" "$outdir"
  echo $? >"$tmp/rc"
} 2>&1 | tee "$outdir/log.txt"
rc=$(cat "$tmp/rc" 2>/dev/null || echo 1)
echo "device_run: $mode run took $(($(date +%s) - start)) s; results in $outdir" >&2
exit "$rc"
