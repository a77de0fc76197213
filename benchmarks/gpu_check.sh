#!/usr/bin/env bash
# GPU check: one call on a GPU machine (one H100/H200, offline, a fresh checkout, the venv `make setup` built), from
# the repository root:
#
#     bash benchmarks/gpu_check.sh
#
# (OUT_DIR benchmarks/out, RESULTS benchmarks/RESULTS.md by default; where only one folder $OUT comes back from
# the machine, keep everything there:
#     cp benchmarks/RESULTS.md "$OUT/" && bash benchmarks/gpu_check.sh "$OUT" "$OUT/RESULTS.md"  ).
# Python: $PYTHON if set, else .venv/bin/python when it exists, else `python`.
# It takes at most ~9.5 minutes: every part runs under a hard `timeout`, capped by what is
# left of a 560 s budget, and a part that fails or runs out says so in one line and the next part runs (the exit
# status is then 1). It prints:
#   "gpu_check: device ..."          the GPU (nvidia-smi: name, memory, max SM clock, power limit) and torch/CUDA;
#   1. step_ab       train-step A/B of every dataset (mnist, norb, chairs, kth) at its params.yaml batch (100):
#                    the authors' step (reference) vs ours fp32, ours_bf16; ms/step, ratio, GFLOP/step, TFLOP/s
#                    and % of the GPU's bf16/tf32 peak (PEAK_TFLOPS in benchmarks/bench_train_step.py);
#   2. eval          the KTH Inception-curve work (stage kth_inception: DrNet+LSTM generation of 200 clips x 100
#                    frames, action-classifier scoring) with random weights: frames/s, GFLOP/s, % of peak;
#   3. loader        the MNIST and KTH loaders at batch 100 and runtime.num_workers: pairs/s against the GPU
#                    step's demand (fp32 and the fastest variant);
#   4. slice_fp32    200 + 400 steps of MNIST training through stages.train_drnet (paper sizes, fp32; the
#                    default runtime.precision auto would pick bf16 on the GPU);
#   5. step_compile  train-step A/B with torch.compile (reference, ours, ours_compile; mnist, kth, norb, chairs);
#   6. slice_fast    the MNIST slice again with runtime.precision=bf16 and runtime.compile=true;
#   then "gpu_check: <part>: ..." summary lines (rates against the peak), one line per part (wall s / limit,
#   status, JSON) and "gpu_check: budget: the parts took N s of 560 s".
# JSON per part under OUT_DIR (train_step_cuda, eval_inception_cuda, loader, train_slice_fp32, train_step_compile_cuda,
# train_slice_fast, gpu_check.json) and a section per part in RESULTS ("[CUDA]" in GPU section titles).
#
# Dry mode: GPU_CHECK_DRY=1 (or the older GPU_CHECK_TINY=1), and automatically when torch has no CUDA or sees no GPU
# (said in one line): every part of the same script at tiny sizes on the CPU (under a minute on 2 cores), torch.compile
# wrapped but disabled (TORCH_COMPILE_DISABLE=1: inductor compiles for minutes on a CPU). Its sections are titled
# "[dry run]" and, without arguments, OUT_DIR and RESULTS go to a fresh temporary directory.
# GPU_CHECK_PARTS="eval loader" runs only those parts (e.g. again after one failed; "none": only the device check and
# the summary of the JSON already under OUT_DIR).
# Usage: bash benchmarks/gpu_check.sh [OUT_DIR [RESULTS]]
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python; fi

DRY="${GPU_CHECK_DRY:-${GPU_CHECK_TINY:-}}"
if [ -z "$DRY" ]; then
  if ! why=$("$PY" -c '
import torch
if torch.version.cuda is None:
    print(f"torch {torch.__version__} has no CUDA (a CPU-only build)")
elif not torch.cuda.is_available():
    print(f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU (torch.cuda.is_available() is False)")
' 2>/dev/null); then
    why="$PY cannot import torch"
  fi
  if [ -n "$why" ]; then
    echo "gpu_check: NO GPU MEASURED: $why; falling back to the dry mode (tiny sizes on the CPU)"
    DRY=1
  fi
fi

if [ -n "$DRY" ]; then
  tmp=""
  if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then tmp=$(mktemp -d /tmp/gpu_check.XXXXXX); fi
  OUT_DIR="${1:-$tmp}"
  RESULTS="${2:-$tmp/RESULTS.md}"
  SFX=" [dry run]"
  BUDGET=300
  export TORCH_COMPILE_DISABLE=1 OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
  device="dry mode on the CPU ($("$PY" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null))"
  step=(--batch 4 --width 8 --rounds 1 --steps 1 --warmup 1 --threads 1)
  compile_variants=reference,ours,ours_compile
  eval_args=(--clips 2 --max-offset 20 --width 4 --classifier-width 4 --repeats 1 --threads 1)
  loader_args=(--batch 4 --workers 1 --seconds 0.2 --kth-sequences 8 --kth-length 12 --cache "$OUT_DIR/cache")
  slice_steps=2
  slice_tiny=(--set mnist.model.width=8 --set mnist.train.batch_size=4 --set runtime.num_workers=0
              --set runtime.threads=1)
  limits=(step_ab=120 eval=60 loader=60 slice_fp32=60 step_compile=120 slice_fast=60)
else
  OUT_DIR="${1:-benchmarks/out}"
  RESULTS="${2:-benchmarks/RESULTS.md}"
  SFX=""
  BUDGET=560
  mkdir -p "$OUT_DIR"
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,power.limit --format=csv > "$OUT_DIR/gpu.csv" 2>&1 \
    || echo "nvidia-smi failed" >> "$OUT_DIR/gpu.csv"
  versions=$("$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)')
  device="$(sed -n 2p "$OUT_DIR/gpu.csv"); $versions"
  step=(--rounds 5 --steps 5 --warmup 3)
  compile_variants=reference,ours,ours_compile
  eval_args=(--repeats 2)
  loader_args=(--batch 100 --seconds 5)
  slice_steps=200
  slice_tiny=()
  limits=(step_ab=150 eval=90 loader=75 slice_fp32=90 step_compile=200 slice_fast=150)
fi
mkdir -p "$OUT_DIR"
echo "gpu_check: device $device"
echo "gpu_check: JSON under $OUT_DIR, sections into $RESULTS, budget $BUDGET s"
suffix=$([ -n "$DRY" ] && echo "" || echo "_cuda")  # bench_train_step names its JSON <name>_cuda on a GPU

started=$(date +%s)
deadline=$((SECONDS + BUDGET))
parts=()
failed=0
selected=" ${GPU_CHECK_PARTS:-step_ab eval loader slice_fp32 step_compile slice_fast} "
limit_of() { local kv; for kv in "${limits[@]}"; do [ "${kv%%=*}" = "$1" ] && echo "${kv#*=}"; done; }
part() {  # part NAME COMMAND...: run under the part's timeout, capped by what is left of the budget
  local name=$1; shift
  local limit left rc=0 start status=ok
  [[ "$selected" == *" $name "* ]] || return 0
  limit=$(limit_of "$name")
  left=$((deadline - SECONDS))
  if [ "$left" -lt 15 ]; then
    echo "gpu_check: $name skipped: the $BUDGET s budget is spent"
    parts+=(--part "$name=0/$limit/skipped")
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "gpu_check: == $name (limit $limit s) =="
  start=$SECONDS
  timeout -k 10 "$limit" "$@" || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then status=timeout; elif [ "$rc" -ne 0 ]; then status="failed-rc$rc"; fi
  [ "$status" = ok ] || { echo "gpu_check: $name failed or timed out ($status); its JSON may be partial"; failed=1; }
  echo "gpu_check: $name took $((SECONDS - start)) s of $limit s ($status)"
  parts+=(--part "$name=$((SECONDS - start))/$limit/$status")
}

common=(--out-dir "$OUT_DIR" --results "$RESULTS")
part step_ab "$PY" -m benchmarks.bench_train_step --datasets mnist,norb,chairs,kth "${step[@]}" \
  --variants reference,ours,ours_bf16 --section "Train step A/B, every dataset (benchmarks/gpu_check.sh)$SFX" \
  "${common[@]}"
part eval "$PY" -m benchmarks.bench_eval "${eval_args[@]}" \
  --section "KTH Inception-curve work (benchmarks.bench_eval)$SFX" "${common[@]}"
part loader "$PY" -m benchmarks.bench_loader --datasets mnist,kth "${loader_args[@]}" \
  --step-json "$OUT_DIR/train_step$suffix.json" \
  --section "Loader vs the GPU check's train step (benchmarks.bench_loader)$SFX" "${common[@]}"
part slice_fp32 "$PY" -m benchmarks.train_slice --steps "$slice_steps" "${slice_tiny[@]}" --name train_slice_fp32 \
  --set runtime.precision=fp32 --section "MNIST training slice, fp32 (benchmarks.train_slice)$SFX" "${common[@]}"
part step_compile "$PY" -m benchmarks.bench_train_step --datasets mnist,kth,norb,chairs "${step[@]}" \
  --variants "$compile_variants" --name train_step_compile \
  --section "Train step A/B with torch.compile (benchmarks/gpu_check.sh)$SFX" "${common[@]}"
part slice_fast "$PY" -m benchmarks.train_slice --steps "$slice_steps" "${slice_tiny[@]}" --name train_slice_fast \
  --set runtime.precision=bf16 --set runtime.compile=true \
  --section "MNIST training slice, bf16 + compile (benchmarks.train_slice)$SFX" "${common[@]}"

"$PY" -m benchmarks.gpu_summary "$OUT_DIR" "$RESULTS" "${parts[@]}" --budget "$BUDGET" --device "$device" \
  --since "$started" \
  ${DRY:+--dry} || { echo "gpu_check: the summary failed"; failed=1; }
exit "$failed"  # 1 when a part failed or ran out of time (the others still ran)
