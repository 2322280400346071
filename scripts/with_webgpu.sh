#!/bin/sh
# Runs a command with a working WebGPU adapter for Deno.
# On a machine without a GPU, Deno's WebGPU needs a software Vulkan driver (Mesa's lavapipe,
# Debian package mesa-vulkan-drivers). Install it when missing (root + apt only), then
# select the Vulkan backend: shader compilation there is 7-20x faster than on GL.
set -e
has_vulkan_icd() {
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    ls "$d"/*.json >/dev/null 2>&1 && return 0
  done
  [ -n "$VK_DRIVER_FILES$VK_ICD_FILENAMES" ]
}
if ! has_vulkan_icd; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "quass: installing mesa-vulkan-drivers (software WebGPU adapter) ..." >&2
    (apt-get -o DPkg::Lock::Timeout=300 install -y -qq mesa-vulkan-drivers >/dev/null 2>&1 ||
      (apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1 &&
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq mesa-vulkan-drivers >/dev/null 2>&1)) ||
      echo "quass: could not install mesa-vulkan-drivers; falling back to Deno's default WebGPU backend" >&2
  else
    echo "quass: no Vulkan driver found. For a software GPU run: sudo apt-get install mesa-vulkan-drivers" >&2
  fi
fi
# Report PNGs render their text with a system TrueType font (src/eval/svg.ts); without one
# quass writes SVG figures only.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "quass: installing fonts-dejavu-core (text in report PNGs) ..." >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq fonts-dejavu-core >/dev/null 2>&1 ||
    echo "quass: could not install fonts-dejavu-core; report figures will be SVG only" >&2
fi
if has_vulkan_icd && [ -z "$DENO_WEBGPU_BACKEND" ]; then
  export DENO_WEBGPU_BACKEND=vulkan
fi
if [ -z "$XDG_RUNTIME_DIR" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_RUNTIME_DIR
fi
exec "$@"
