"""Batch normalization over the global batch of a torchrun job, on any backend (gloo on CPU included).

``nn.SyncBatchNorm`` only runs on accelerators, so on CPU each rank would normalize with its own slice of the
batch and DDP training would drift from single-process training. ``GlobalBatchNorm`` all-reduces the batch
statistics through a differentiable all-reduce: the forward, the running
statistics and the gradients are those of one process holding the whole batch (two passes: the mean first, then
the centred second moment, as ``F.batch_norm`` does, so the float rounding stays close to single-process).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks; its gradient is the sum over ranks of the upstream gradients (each rank's loss only
    sees its own slice, so the total objective's gradient needs every rank's contribution)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    """Differentiable sum of ``x`` over every rank."""
    return _AllReduceSum.apply(x)


class GlobalBatchNorm(_BatchNorm):
    """Drop-in for BatchNorm1d/2d/3d whose training statistics span every rank's slice of the batch."""

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {x.dim()}D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(x)
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        in_dtype = x.dtype
        if x.dtype != torch.float64:
            x = x.float()  # statistics in fp32 at least: bf16 counts/sums lose precision past 256
        dims = [0, *range(2, x.dim())]
        shape = [1, -1, *([1] * (x.dim() - 2))]
        count = torch.tensor([x.numel() // x.shape[1]], dtype=x.dtype, device=x.device)
        totals = all_reduce_sum(torch.cat([x.sum(dims), count]))
        n = totals[-1]
        mean = totals[:-1] / n
        centred = x - mean.view(shape)
        var = all_reduce_sum((centred * centred).sum(dims)) / n
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = (1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum)
                self.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
                self.running_var.mul_(1 - factor).add_(var.detach() * (n / (n - 1)), alpha=factor)
        y = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(in_dtype)


def convert(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm in ``module`` (in place where it is not itself one) by ``GlobalBatchNorm``,
    sharing parameters and buffers, so optimisers and checkpoints keep pointing at the same tensors."""
    if isinstance(module, _BatchNorm) and not isinstance(module, (GlobalBatchNorm, nn.SyncBatchNorm)):
        out = GlobalBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                              module.track_running_stats)
        if module.affine:
            out.weight, out.bias = module.weight, module.bias
        if module.track_running_stats:
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
        out.train(module.training)
        return out
    for name, child in module.named_children():
        new = convert(child)
        if new is not child:
            module.add_module(name, new)
    return module


def global_batch_norm(module: nn.Module, device: torch.device) -> nn.Module:
    """SyncBatchNorm on CUDA (its fused kernels), GlobalBatchNorm elsewhere."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return convert(module)
