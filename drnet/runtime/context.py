"""Device, precision and distributed (torchrun / DDP) helpers."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import dataclass

import torch
import torch.distributed as dist

from drnet.params.schema import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    autocast_dtype: torch.dtype | None = None
    channels_last: bool = False
    dtype: torch.dtype = torch.float32  # of weights and inputs; float64 with runtime.precision fp64

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def precision(self) -> str:
        """What the run computes in: bf16 (autocast), fp32 or fp64 (``runtime.precision`` resolved here)."""
        if self.autocast_dtype == torch.bfloat16:
            return "bf16"
        return "fp64" if self.dtype == torch.float64 else "fp32"

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def to_input(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 [B, H, W, C] (or [B, T, H, W, C]) -> float [B, C, H, W] (or [B, T, C, H, W]) in [0, 1]."""
        frames = frames.to(self.device, non_blocking=True)
        x = frames.movedim(-1, -3).to(self.dtype).div_(255.0)
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


def result_settings(ctx: Context, runtime) -> str:
    """The runtime settings that change what training computes, as one resume-key part: the device kind, the
    precision it runs (``auto`` resolved to bf16 or fp32), ``compile`` and ``channels_last``. ``threads`` and
    ``num_workers`` are left out: batches come from (seed, step) whichever worker loads them, and the intra-op
    thread count only changes the order of float sums, so a run resumed with other threads is the same run."""
    return (f"device:{ctx.device.type},precision:{ctx.precision},compile:{runtime.compile},"
            f"channels_last:{ctx.channels_last}")


def cuda_expected() -> str | None:
    """Why this machine looks like it has an NVIDIA GPU (nvidia-smi on PATH, /dev/nvidia0, CUDA_VISIBLE_DEVICES
    naming a device), or None."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible not in (None, "", "-1"):
        return f"CUDA_VISIBLE_DEVICES={visible}"
    if shutil.which("nvidia-smi"):
        return "nvidia-smi is installed"
    if os.path.exists("/dev/nvidia0"):
        return "/dev/nvidia0 exists"
    return None


def _torch_build() -> str:
    return f"torch {torch.__version__} ({'CUDA ' + torch.version.cuda if torch.version.cuda else 'CPU-only build'})"


def pick_device(requested: str, what: str = "training") -> bool:
    """Whether to use CUDA for runtime.device ``requested`` (auto | cpu | cuda). ``cuda`` without a usable GPU
    fails in one line; ``auto`` on a machine that looks like it has a GPU that torch cannot use warns loudly
    (naming ``what`` runs on the CPU)."""
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        from drnet.errors import DrnetError

        raise DrnetError(f"runtime.device is 'cuda' but {_torch_build()} sees no CUDA device; install the CUDA build "
                         f"of torch (README, Install) or set runtime.device to auto or cpu")
    if requested == "auto" and not available:
        reason = cuda_expected()
        if reason:
            log.warning("WARNING: %s, but %s cannot use CUDA: %s runs on the CPU, orders of magnitude slower. "
                        "Install the CUDA build of torch (README, Install) or set runtime.device: cpu to silence "
                        "this.", reason, _torch_build(), what)
    return requested == "cuda" or (requested == "auto" and available)


def cores_owned() -> int:
    """Cores this job owns: OMP_NUM_THREADS when a scheduler set it (Snakemake sets it to the rule's threads,
    torchrun to 1 per process), else the CPUs in this process's affinity mask."""
    try:
        granted = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        granted = 0
    if granted > 0:
        return granted
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity API (macOS)
        return os.cpu_count() or 1


def intra_op_threads(runtime) -> int:
    """torch intra-op threads: ``runtime.threads``, or (0) the cores the job owns less one per DataLoader worker,
    at least 1. An intra-op team that shares its cores with busy loader workers (or any other process) waits at
    every parallel region for its descheduled member: measured ~10x slower steps (benchmarks/RESULTS.md,
    "Steps under load"); one thread per free core never waits."""
    if runtime.threads:
        return runtime.threads
    return max(1, cores_owned() - runtime.num_workers)


def setup(runtime) -> Context:
    """Pick the device (CUDA when present and allowed), set threads, and join torchrun's process group if any."""
    torch.set_num_threads(intra_op_threads(runtime))
    want_cuda = pick_device(runtime.device)
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if want_cuda else "gloo")
    device = torch.device(f"cuda:{local_rank}" if want_cuda else "cpu")
    if want_cuda:
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True
    dtype = None
    if runtime.precision in ("auto", "bf16"):
        if bf16_native(device):
            dtype = torch.bfloat16
        elif runtime.precision == "bf16" and rank == 0:
            log.warning("runtime.precision bf16: this machine has no native bf16 (CUDA bf16, or a CPU with "
                        "avx512_bf16/AMX); running fp32")
    if rank == 0:
        log.info("device %s, world size %d, autocast %s, %d intra-op threads", device, world, dtype,
                 torch.get_num_threads())
    return Context(device=device, rank=rank, world_size=world, autocast_dtype=dtype,
                   channels_last=runtime.channels_last,
                   dtype=torch.float64 if runtime.precision == "fp64" else torch.float32)


def eval_context(runtime) -> Context:
    """The context of an evaluation stage: ``runtime.device`` resolved as training resolves it (``pick_device``:
    CUDA when present and allowed), fp32 without autocast (evaluation numbers do not depend on
    ``runtime.precision``), no process group. ``runtime`` is the params' runtime section (a ``Runtime`` or its
    dict). Threads: ``runtime.threads`` when set; with 0 torch keeps its default (OMP_NUM_THREADS, which Snakemake
    sets to the rule's threads, else every core): an evaluation has no loader workers to leave cores to, so its
    CPU path runs on the threads it always ran on."""
    runtime = runtime if isinstance(runtime, Runtime) else Runtime(**dict(runtime or {}))
    if runtime.threads:
        torch.set_num_threads(runtime.threads)
    device = torch.device("cuda", torch.cuda.current_device()) if pick_device(runtime.device, "evaluation") \
        else torch.device("cpu")
    log.info("evaluation on %s (fp32), %d intra-op threads", device, torch.get_num_threads())
    return Context(device=device)


def module_device(module: torch.nn.Module) -> torch.device:
    """The device a module's weights are on (CPU for a module without any)."""
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def bf16_native(device: torch.device) -> bool:
    """Whether bf16 autocast runs natively on ``device`` (what ``runtime.precision: auto`` picks bf16 on)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return cpu_bf16_supported()


def cpu_bf16_supported() -> bool:
    """Whether oneDNN runs bf16 natively here (avx512_bf16 or AMX); emulated bf16 would be slower than fp32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), or the platform's processor string."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8", errors="replace"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def machine_facts(ctx: Context) -> dict:
    """What a run's speed depends on, recorded beside every timing it reports (training summaries, benchmarks):
    the device, the CPU and the instruction set torch's CPU kernels use (``isa``: ATen's dispatch level;
    ``ONEDNN_MAX_CPU_ISA`` when set, e.g. AVX2 to run as a CPU without AVX-512/bf16 would), whether bf16 runs
    natively, the precision the run resolved to and its intra-op threads."""
    facts = {"device": ctx.device.type, "cpu": cpu_model(), "isa": torch.backends.cpu.get_cpu_capability(),
             "cpu_bf16": cpu_bf16_supported(), "precision": ctx.precision, "threads": torch.get_num_threads(),
             "world_size": ctx.world_size}
    if os.environ.get("ONEDNN_MAX_CPU_ISA"):
        facts["onednn_max_isa"] = os.environ["ONEDNN_MAX_CPU_ISA"]
    if ctx.device.type == "cuda":
        facts["gpu"] = torch.cuda.get_device_name(ctx.device)
    return facts


def cpu_summary() -> str:
    """One line for timings printed to users: the CPU, the cores this process owns, the kernels' ISA and whether
    bf16 is native (what ``runtime.precision: auto`` trains in)."""
    return (f"{cpu_model()}, {cores_owned()} cores, {torch.backends.cpu.get_cpu_capability()} kernels, native bf16: "
            f"{'yes' if cpu_bf16_supported() else 'no (training runs fp32)'}")


def widen(t: torch.Tensor) -> torch.Tensor:
    """A loss input at float32 at least (bf16 autocast outputs widened; float64 kept)."""
    return t if t.dtype == torch.float64 else t.float()


def all_reduce_mean(value: torch.Tensor, ctx: Context) -> torch.Tensor:
    if ctx.distributed:
        value = value.detach().clone()
        dist.all_reduce(value)
        value /= ctx.world_size
    return value


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier()
