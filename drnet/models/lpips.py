"""LPIPS v0.1 (Zhang et al., CVPR 2018): a perceptual distance from an ImageNet backbone's features.

State-dict keys follow the official files so that they load strictly: the backbone's are torchvision's
(``features.N.weight``/``bias`` of ``alexnet-owt-7be5be79.pth`` or ``vgg16-397923af.pth``; their ``classifier.*``
keys are read and left unused), the linear layers' are those of the ``lpips`` package's ``weights/v0.1/{alex,
vgg}.pth`` (``linK.model.1.weight``, [1, C_K, 1, 1]). No torchvision needed.
"""

from __future__ import annotations

import torch
from torch import nn

# (conv layers as (in, out, kernel, stride, padding), max-pool positions) of torchvision's ``features``
_ALEX = [(3, 64, 11, 4, 2), "relu", "pool", (64, 192, 5, 1, 2), "relu", "pool", (192, 384, 3, 1, 1), "relu",
         (384, 256, 3, 1, 1), "relu", (256, 256, 3, 1, 1), "relu", "pool"]
_VGG_CHANNELS = [64, 64, "pool", 128, 128, "pool", 256, 256, 256, "pool", 512, 512, 512, "pool", 512, 512, 512,
                 "pool"]
# torchvision ``features`` index after which LPIPS taps a layer (ReLU outputs), and the tapped widths
TAPS = {"alex": ([1, 4, 7, 9, 11], [64, 192, 384, 256, 256]),
        "vgg": ([3, 8, 15, 22, 29], [64, 128, 256, 512, 512])}
# torchvision's classifier head, present in its backbone files: name -> shape (read, not used)
CLASSIFIER_SHAPES = {
    "alex": {"classifier.1.weight": (4096, 9216), "classifier.1.bias": (4096,), "classifier.4.weight": (4096, 4096),
             "classifier.4.bias": (4096,), "classifier.6.weight": (1000, 4096), "classifier.6.bias": (1000,)},
    "vgg": {"classifier.0.weight": (4096, 25088), "classifier.0.bias": (4096,), "classifier.3.weight": (4096, 4096),
            "classifier.3.bias": (4096,), "classifier.6.weight": (1000, 4096), "classifier.6.bias": (1000,)},
}
# LPIPS' input scaling (inputs in [-1, 1] -> ImageNet statistics)
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


def backbone_features(backbone: str) -> nn.Sequential:
    """torchvision's AlexNet or VGG16 ``features`` (same layer indices, so the same state-dict keys)."""
    layers: list[nn.Module] = []
    if backbone == "alex":
        for spec in _ALEX:
            layers.append(nn.ReLU(inplace=False) if spec == "relu" else nn.MaxPool2d(3, 2) if spec == "pool"
                          else nn.Conv2d(spec[0], spec[1], spec[2], spec[3], spec[4]))
    elif backbone == "vgg":
        c = 3
        for spec in _VGG_CHANNELS:
            if spec == "pool":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, spec, 3, padding=1), nn.ReLU(inplace=False)]
                c = spec
    else:
        raise ValueError(f"LPIPS backbone must be 'alex' or 'vgg', got {backbone!r}")
    return nn.Sequential(*layers)


class LinearLayer(nn.Module):
    """One tapped layer's weights over channels (``model.1.weight``, as the lpips package names it)."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class Backbone(nn.Module):
    """The ImageNet network LPIPS reads features from: torchvision's key layout (``features.N.*``)."""

    def __init__(self, backbone: str):
        super().__init__()
        self.features = backbone_features(backbone)


class Lpips(nn.Module):
    """LPIPS v0.1: ``forward(a, b)`` with a, b float [N, 3, H, W] in [0, 1] -> distance [N] (0 = identical)."""

    def __init__(self, backbone: str = "alex"):
        super().__init__()
        self.backbone_name = backbone
        self.net = Backbone(backbone)
        self.taps, widths = TAPS[backbone]
        self.lins = nn.ModuleList(LinearLayer(c) for c in widths)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = ((2 * x - 1) - self.shift) / self.scale
        out = []
        for i, layer in enumerate(self.net.features[:self.taps[-1] + 1]):
            x = layer(x)
            if i in self.taps:
                out.append(x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10))
        return out

    @torch.no_grad()
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        total = torch.zeros(a.shape[0], device=a.device)
        for lin, fa, fb in zip(self.lins, self._features(a), self._features(b)):
            total += lin((fa - fb) ** 2).mean(dim=(1, 2, 3))
        return total

    def lin_state_dict(self) -> dict[str, torch.Tensor]:
        """The linear layers under the official file's names (``lin0.model.1.weight`` ...)."""
        return {f"lin{k}.{name}": v for k, lin in enumerate(self.lins) for name, v in lin.state_dict().items()}

    def load_lin_state_dict(self, saved: dict[str, torch.Tensor]) -> None:
        for k, lin in enumerate(self.lins):
            lin.load_state_dict({name[len(f"lin{k}."):]: v for name, v in saved.items() if name.startswith(f"lin{k}.")})
