#!/usr/bin/env bash
# The speed benchmarks on a real GPU (Linux, Vulkan): Chromium with a hardware WebGPU adapter.
# Prints the adapter, our per-stage table with the GPU counters and kernel profile, and the
# peer comparison against ONNX Runtime Web's WebGPU build. For a machine with a GPU; the CI
# never runs it (this machine's only WebGPU adapter is SwiftShader, on the CPU).
#
#   scripts/bench-gpu.sh [--preset coco-r50 | --model DIR] [--size 641] [--runs 5]
#
# KMAX_CHROMIUM picks the browser (default /usr/bin/chromium); KMAX_GPU_FLAGS replaces the flags below.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=(--preset coco-r50)
SIZE=641
RUNS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --preset | --model) MODEL=("$1" "$2"); shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) echo "usage: scripts/bench-gpu.sh [--preset NAME | --model DIR] [--size N] [--runs R]" >&2; exit 2 ;;
  esac
done

# A hardware adapter in headless Chromium on Linux: Vulkan through ANGLE, the GPU blocklist
# ignored, and no fallback to SwiftShader (a software adapter would be refused by the check below).
export KMAX_CHROMIUM_ARGS="${KMAX_GPU_FLAGS:---enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan --use-angle=vulkan --use-vulkan=native --ignore-gpu-blocklist --disable-vulkan-surface --disable-software-rasterizer --enable-gpu-rasterization}"
CHROMIUM="${KMAX_CHROMIUM:-/usr/bin/chromium}"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/== GPU: /'
command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName' | sed 's/^ */== vulkan: /'

# Our engine, stage by stage, with dispatches, bytes read back, GPU memory and the kernel profile.
# The adapter is in its first line; a software adapter means the flags did not reach a GPU.
STAGES_OUT="$(mktemp)"
node bin/kmax.mjs bench "${MODEL[@]}" --backend webgpu --size "$SIZE" --runs "$RUNS" | tee "$STAGES_OUT"
if head -1 "$STAGES_OUT" | grep -qi swiftshader; then
  echo "bench-gpu.sh: Chromium gave a software adapter (SwiftShader): no GPU reached; check the Vulkan driver and KMAX_GPU_FLAGS" >&2
  exit 1
fi

# The peer comparison on the same adapter: ORT's onnxruntime-web/webgpu build against ours.
npm run --silent bench:peers -- "${MODEL[@]}" --size "$SIZE" --backend webgpu --runs "$RUNS"
