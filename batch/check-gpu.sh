#!/usr/bin/env bash
# Run on a GPU machine (or in the job image: docker run --gpus all --entrypoint batch/check-gpu.sh <image>):
# compares the tfjs kernel on libtensorflow-gpu with the deterministic CPU kernel on linear, logistic
# and softmax gradients (relative tolerance, default 1e-4: float32 on the GPU vs float64 sums) and
# prints rows/s of each. Usage: batch/check-gpu.sh [rows=200000] [tolerance=1e-4]
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v nvidia-smi >/dev/null; then nvidia-smi -L; else echo "nvidia-smi not found"; fi
if [ ! -f dist/batch/check-gpu.js ]; then npm run build; fi
# Outside the image, tfjs-node-gpu is not installed by default (the image installs it).
node -e "import('@tensorflow/tfjs-node-gpu').catch(() => import('@tensorflow/tfjs-node')).catch(() => { console.error('install @tensorflow/tfjs-node-gpu (npm install --no-save @tensorflow/tfjs-node-gpu@4.22.0)'); process.exit(1) })"
exec node dist/batch/check-gpu.js "$@"
