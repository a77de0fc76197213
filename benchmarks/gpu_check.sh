#!/usr/bin/env bash
# GPU check, one prepared script (<= 8 min on one H100/H200):
#   1. train-step A/B for MNIST (DCGAN-64) and KTH (VGG/ResNet) at batch 100: the authors' step vs ours in fp32,
#      bf16 and with torch.compile; achieved TFLOP/s against counted FLOPs and the GPU's peak;
#   2. a timed slice of paper-scale MNIST training through the real stage (stages.train_drnet), projecting the
#      full 120k-step run's wall time (fp32 default runtime, then bf16 + compile).
# JSON under OUT_DIR (default benchmarks/out), sections in RESULTS (default benchmarks/RESULTS.md).
# Without CUDA (or with GPU_CHECK_TINY=1) it runs the same steps at tiny sizes in seconds: the CPU fallback
# the tests drive. Usage: bash benchmarks/gpu_check.sh [OUT_DIR [RESULTS]]
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OUT_DIR="${1:-benchmarks/out}"
RESULTS="${2:-benchmarks/RESULTS.md}"
PY="${PYTHON:-python}"
mkdir -p "$OUT_DIR"

if [ -z "${GPU_CHECK_TINY:-}" ] && "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv | tee "$OUT_DIR/gpu.csv" || true
  step_args=(--batch 100 --rounds 5 --steps 5 --warmup 3 --variants reference,ours,ours_bf16,ours_compile)
  slice_steps=300
  slice_tiny=()
  slice_fast=(--set runtime.precision=bf16 --set runtime.compile=true)
  step_limit=240   # + 90 + 150 s of slices: <= 8 min
  slice_limit=90
  fast_limit=150
else
  echo "gpu_check: no CUDA device (or GPU_CHECK_TINY set): CPU fallback at tiny sizes"
  step_args=(--batch 4 --width 8 --rounds 2 --steps 1 --warmup 1 --variants reference,ours --threads 1)
  slice_steps=2
  slice_tiny=(--set mnist.model.width=8 --set mnist.train.batch_size=4 --set mnist.data.image_size=32
              --set mnist.data.digit_size=16 --set runtime.num_workers=0 --set runtime.threads=1)
  slice_fast=(--set runtime.precision=bf16)  # inductor compiles for minutes on a CPU
  step_limit=120
  slice_limit=120
  fast_limit=120
fi

start=$SECONDS
timeout "$step_limit" "$PY" -m benchmarks.bench_train_step --datasets mnist,kth "${step_args[@]}" \
  --out-dir "$OUT_DIR" --results "$RESULTS" || echo "gpu_check: train-step A/B failed or timed out ($?)"
echo "gpu_check: train-step A/B took $((SECONDS - start)) s"

start=$SECONDS
timeout "$slice_limit" "$PY" -m benchmarks.train_slice --steps "$slice_steps" "${slice_tiny[@]}" \
  --out-dir "$OUT_DIR" --results "$RESULTS" --name train_slice_fp32 \
  --section "MNIST training slice, default runtime (benchmarks.train_slice)" \
  || echo "gpu_check: fp32 slice failed or timed out ($?)"
timeout "$fast_limit" "$PY" -m benchmarks.train_slice --steps "$slice_steps" "${slice_tiny[@]}" "${slice_fast[@]}" \
  --out-dir "$OUT_DIR" --results "$RESULTS" --name train_slice_fast \
  --section "MNIST training slice, bf16 (+ compile on GPU) (benchmarks.train_slice)" \
  || echo "gpu_check: bf16 slice failed or timed out ($?)"
echo "gpu_check: training slices took $((SECONDS - start)) s"
