"""Networks of DrNet: encoders, decoders, the scene discriminator, the pose LSTM, and their registry.

Interfaces every architecture follows:
- encoder ``forward(x)``: x float [B, C, H, W] in [0, 1] -> (vector [B, D], skips: list[Tensor] | None)
- decoder ``forward(content, pose, skips)`` -> frame float [B, C, H, W] in [0, 1]
"""

from __future__ import annotations

import torch
from torch import nn

from drnet.models.dcgan import DcganDecoder, DcganEncoder, DcganUnetDecoder, DcganUnetEncoder
from drnet.models.discriminator import SceneDiscriminator
from drnet.models.resnet import ResNet18Encoder
from drnet.models.vgg import Vgg16UnetDecoder, Vgg16UnetEncoder

# Encoders take (channels, dim, width, image_size, normalize) and end in conv -> BatchNorm -> tanh
# (``heads.VectorHead``); ``normalize`` adds unit L2 norm (DrNet: the pose encoder only). Decoders take
# (in_dim, channels, width, image_size); U-Net decoders get the content encoder's skips at forward time.
ENCODERS: dict[str, type[nn.Module]] = {
    "dcgan64": DcganEncoder,
    "dcgan64_unet": DcganUnetEncoder,
    "resnet18": ResNet18Encoder,
    "vgg16_unet": Vgg16UnetEncoder,
}
DECODERS: dict[str, type[nn.Module]] = {
    "dcgan64": DcganDecoder,
    "dcgan64_unet": DcganUnetDecoder,
    "vgg16_unet": Vgg16UnetDecoder,
}


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation (paper/authors): conv and linear weights N(0, 0.02), BN weights N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DrNet(nn.Module):
    """Content encoder Ec, pose encoder Ep, decoder D and scene discriminator C.

    ``pose_dim``, ``content_dim`` and ``normalize`` (unit-norm poses) are what the pose LSTM and generation read;
    the autoencoder baseline (``autoencoder.AeFrameModel``) exposes the same three.
    """

    def __init__(self, cfg, channels: int, image_size: int):
        super().__init__()
        self.cfg = cfg
        self.content_encoder = ENCODERS[cfg.content_encoder](channels, cfg.content_dim, cfg.width, image_size,
                                                             cfg.normalize_content)
        self.pose_encoder = ENCODERS[cfg.pose_encoder](channels, cfg.pose_dim, cfg.width, image_size, cfg.normalize)
        self.decoder = DECODERS[cfg.decoder](cfg.content_dim + cfg.pose_dim, channels, cfg.width, image_size)
        self.discriminator = SceneDiscriminator(cfg.pose_dim, cfg.disc_hidden)
        init_weights(self)

    @property
    def pose_dim(self) -> int:
        return self.cfg.pose_dim

    @property
    def content_dim(self) -> int:
        return self.cfg.content_dim

    @property
    def normalize(self) -> bool:
        return self.cfg.normalize

    def generator_modules(self) -> list[nn.Module]:
        """The modules trained by the reconstruction/similarity/adversarial loss (all but C)."""
        return [self.content_encoder, self.pose_encoder, self.decoder]

    def encode_content(self, x: torch.Tensor):
        return self.content_encoder(x)

    def encode_pose(self, x: torch.Tensor) -> torch.Tensor:
        return self.pose_encoder(x)[0]

    def decode(self, content: torch.Tensor, pose: torch.Tensor, skips=None) -> torch.Tensor:
        return self.decoder(content, pose, skips)

    def forward(self, x_content: torch.Tensor, x_pose: torch.Tensor) -> torch.Tensor:
        """Reconstruct the frame with the content of ``x_content`` and the pose of ``x_pose``."""
        content, skips = self.encode_content(x_content)
        return self.decode(content, self.encode_pose(x_pose), skips)
