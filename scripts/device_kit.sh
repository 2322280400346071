#!/bin/sh
# Packs into .device/ (git-ignored) what a bare x86-64 Linux machine with an NVIDIA driver but
# no network needs to run quass' benchmarks and CLI (scripts/device_run.sh unpacks it):
#
#   .device/deno.xz          the deno binary this machine runs, xz-compressed
#   .device/deno_dir.tar.xz  a DENO_DIR holding the npm packages the CLI and the benchmarks
#                            import (global-cache layout, used with --node-modules-dir=none
#                            --cached-only), pruned: no esbuild, playwright, hono, preact,
#                            plot/d3, linkedom (web UI and report-building only), and of the
#                            tfjs packages only the Node bundles that Deno loads
#   .device/lib/             libvulkan.so.1 (the Vulkan loader) and libGLdispatch.so.0 (which
#                            NVIDIA's Vulkan ICD links), from Debian's libvulkan1 and libglvnd0,
#                            unpacked with dpkg -x
#   .device/MANIFEST         versions, sizes and sha256 of the above
#
# Needs: deno, xz, tar, apt-get + dpkg (or the two .deb files in $KIT_DEBS), the npm
# registry (once, to fill the cache). Usage: sh scripts/device_kit.sh [OUTDIR] (default .device)
# Documented in docs/device.md.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-.device}
limit_mib=${KIT_LIMIT_MIB:-60}
deno_bin=$(command -v deno || true)
[ -n "$deno_bin" ] || { echo "device_kit: deno not on PATH" >&2; exit 1; }
deno_bin=$(readlink -f "$deno_bin")
[ "$(uname -m)" = "x86_64" ] || echo "device_kit: warning: this is $(uname -m); the device is x86-64" >&2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1. npm packages in a private DENO_DIR (global-cache layout: no node_modules needed).
entries="src/cli/main.ts bench/main.ts bench/sim.ts bench/sim_python.ts bench/nn_layers.ts
  bench/nn_train.ts bench/nn_infer.ts bench/nn_models.ts bench/tfjs.ts bench/device.ts"
echo "device_kit: caching npm packages for the CLI and the benchmarks ..." >&2
# shellcheck disable=SC2086
DENO_DIR="$stage/deno_dir" "$deno_bin" cache --quiet --node-modules-dir=none $entries
reg="$stage/deno_dir/npm/registry.npmjs.org"
# Keep the npm packages the entry points reach, and their dependencies (package.json).
# shellcheck disable=SC2086
DENO_DIR="$stage/deno_dir" "$deno_bin" run --quiet --allow-read --allow-write --allow-run \
  --node-modules-dir=none scripts/device_kit_prune.ts "$reg" $entries
rm -rf "$stage/deno_dir/gen" "$stage/deno_dir"/*analysis_cache*
(cd "$stage" && tar -cf - deno_dir | xz -9 -T2 >"$out/deno_dir.tar.xz.tmp") &&
  mv "$out/deno_dir.tar.xz.tmp" "$out/deno_dir.tar.xz"

# 2. The deno binary (skipped when the kit already holds this very binary).
sum=$(sha256sum "$deno_bin" | cut -d' ' -f1)
if [ -f "$out/deno.xz" ] && [ -f "$out/deno.sha256" ] && [ "$(cat "$out/deno.sha256")" = "$sum" ]; then
  echo "device_kit: deno.xz is up to date" >&2
else
  echo "device_kit: compressing deno ($(du -m "$deno_bin" | cut -f1) MiB, a few minutes) ..." >&2
  xz -9e -T2 -c "$deno_bin" >"$out/deno.xz.tmp" && mv "$out/deno.xz.tmp" "$out/deno.xz"
  echo "$sum" >"$out/deno.sha256"
fi

# 3. The Vulkan loader and libGLdispatch (which the NVIDIA Vulkan ICD, libGLX_nvidia, needs;
#    the driver brings its ICD, not always these): Debian's libvulkan1 and libglvnd0.
rm -rf "$out/vulkan" "$out/lib" && mkdir -p "$out/lib"
debs=${KIT_DEBS:-}
if [ -z "$debs" ]; then
  get() { (cd "$stage" && apt-get download libvulkan1:amd64 libglvnd0:amd64 >/dev/null 2>&1); }
  get || { apt-get update -qq >/dev/null 2>&1 && get; } ||
    { echo "device_kit: apt-get download libvulkan1 libglvnd0 failed" >&2; exit 1; }
  debs=$(ls "$stage"/libvulkan1_*.deb "$stage"/libglvnd0_*.deb)
fi
versions=""
for deb in $debs; do
  dpkg -x "$deb" "$stage/x"
  versions="$versions $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version);"
done
cp -a "$stage"/x/usr/lib/x86_64-linux-gnu/libvulkan.so.1* \
  "$stage"/x/usr/lib/x86_64-linux-gnu/libGLdispatch.so.0* "$out/lib/"

# 4. Manifest and size check.
{
  echo "quass device kit, made $(date -u +%Y-%m-%dT%H:%MZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "deno $("$deno_bin" --version | head -1 | cut -d' ' -f2) (sha256 $sum)"
  echo "Debian:$versions"
  (cd "$out" && find . -type f ! -name MANIFEST | sort | while read -r f; do
    echo "$(du -k "$f" | cut -f1) KiB  $(sha256sum "$f" | cut -c1-16)  $f"
  done)
} >"$out/MANIFEST"
total=$(du -sm "$out" | cut -f1)
echo "TOTAL ${total} MiB" >>"$out/MANIFEST"
cat "$out/MANIFEST" >&2
if [ "$total" -gt "$limit_mib" ]; then
  echo "device_kit: the kit is ${total} MiB, over ${limit_mib} MiB" >&2
  exit 1
fi
echo "device_kit: wrote $out (${total} MiB)" >&2
