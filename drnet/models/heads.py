"""The last layer of every encoder, as in both of the authors' codes (drnet-py and the Lua drnet).

A conv over the whole final feature map gives the vector, then BatchNorm and tanh bound each unit to (-1, 1) and
keep different inputs from collapsing onto one direction; unit L2 norm is an option on top (the paper's text
says the vectors are unit-norm; the authors' code normalizes the pose vector only, behind a flag). Without the
BatchNorm + tanh, a bare conv + L2 norm let content vectors of different clips sit at cosine 0.997.

A conv whose kernel covers its whole input map is a matrix product, and so is a transposed conv from a 1x1 map
(the decoders' first layer); oneDNN runs these shapes as convolutions at a tenth of its matrix rate (measured
7-20 GFLOP/s vs ~100 on an AVX2 core: ``benchmarks/profile_step.py``), so both are computed as ``F.linear`` on
the same parameters (same module, same state dict; results equal up to float summation order). Modules with
``matmul_shortcut = False`` run them as convolutions (the benchmarks' replay of the authors' step does).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class VectorHead(nn.Module):
    """Feature map [B, C, k, k] -> vector [B, dim]: conv(k x k) -> BatchNorm -> tanh (-> unit L2 norm)."""

    matmul_shortcut = True  # module docstring

    def __init__(self, c_in: int, dim: int, kernel: int, normalize: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(c_in, dim, kernel)
        self.bn = nn.BatchNorm2d(dim)
        self.normalize = normalize

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.matmul_shortcut and tuple(x.shape[-2:]) == self.conv.kernel_size:  # kernel = map: a matrix product
            h = F.linear(x.flatten(1), self.conv.weight.flatten(1), self.conv.bias)[:, :, None, None]
        else:
            h = self.conv(x)
        v = torch.tanh(self.bn(h)).flatten(1)
        return F.normalize(v, dim=1) if self.normalize else v


def vector_to_map(deconv: nn.ConvTranspose2d, z: torch.Tensor, shortcut: bool = True) -> torch.Tensor:
    """``deconv`` (k x k, stride 1, no padding) applied to the vector z [B, K] seen as a 1x1 map: [B, C, k, k],
    computed as one matrix product (module docstring); channels-last when the layer's weights are."""
    w = deconv.weight  # [K, C, k, k]
    plain = (deconv.stride == (1, 1) and deconv.padding == (0, 0) and deconv.output_padding == (0, 0)
             and deconv.dilation == (1, 1) and deconv.groups == 1)
    if not (plain and shortcut):
        return deconv(z[:, :, None, None])
    y = (z @ w.flatten(1)).view(z.shape[0], *w.shape[1:])
    if deconv.bias is not None:
        y = y + deconv.bias[:, None, None]
    return y.contiguous(memory_format=torch.channels_last) if w.is_contiguous(memory_format=torch.channels_last) \
        and not w.is_contiguous() else y
