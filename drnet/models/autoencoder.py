"""The AE-LSTM baseline's autoencoder (paper, Section 4.3): one encoder, one latent vector, same decoders.

Unlike DrNet there is no content/pose split and no similarity or adversarial loss: a single encoder (any name of
the ENCODERS registry) maps a frame to a ``latent_dim`` vector (paper: 24, the size of DrNet's pose vector) and
the decoder of the same family (``vgg16_unet`` -> its U-Net decoder, otherwise the DCGAN decoder) maps it back.

U-Net skips and fairness. A U-Net decoder could copy a frame through its skips and leave the latent unused. So,
as for DrNet's content skips, the skips always come from a *different* frame than the one reconstructed: in
training the AE reconstructs x_{t+k} from ``latent(x_{t+k})`` and ``skips(x_t)`` (k drawn as for DrNet), so
everything that moves between t and t+k must pass through the latent; in generation the skips come from the
last observed frame and stay fixed while the LSTM rolls the latent forward, exactly like DrNet's content skips.
The baseline thus gets the same static-background pathway as DrNet and differs only in the missing factorisation.

``AeFrameModel`` shows a trained autoencoder through the DrNet interface: its latent plays the pose vector, the
content vector is empty and the U-Net skips come from the last observed frame, so the pose-LSTM training
(``drnet.train.lstm``) and generation (``drnet.eval.generate``) code serve both models unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drnet.models import DECODERS, ENCODERS, init_weights


class AutoEncoder(nn.Module):
    """Encoder -> latent [B, latent_dim] (unit norm if normalize) -> decoder, for frames [B, C, H, W] in [0, 1]."""

    def __init__(self, encoder_name: str, latent_dim: int, channels: int, width: int = 64, image_size: int = 64,
                 normalize: bool = True):
        super().__init__()
        if encoder_name not in ENCODERS:
            raise ValueError(f"unknown encoder {encoder_name!r}; use one of: {', '.join(sorted(ENCODERS))}")
        decoder_name = "vgg16_unet" if encoder_name == "vgg16_unet" else "dcgan64"
        self.encoder = ENCODERS[encoder_name](channels, latent_dim, width, image_size, normalize)
        self.decoder = DECODERS[decoder_name](latent_dim, channels, width, image_size)
        self.uses_skips = decoder_name == "vgg16_unet"
        self.latent_dim, self.normalize = latent_dim, normalize
        init_weights(self)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """x [B, C, H, W] -> (latent [B, latent_dim], skips or None)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor, skips: list[torch.Tensor] | None = None) -> torch.Tensor:
        """latent [B, latent_dim] (+ skips of another frame for U-Net) -> frame [B, C, H, W] in [0, 1]."""
        return self.decoder(z, z.new_zeros(z.shape[0], 0), skips)

    def forward(self, x_skip: torch.Tensor, x_target: torch.Tensor) -> torch.Tensor:
        """Reconstruct x_target [B, C, H, W] from its latent and the skips of x_skip (ignored without skips)."""
        if not self.uses_skips:
            return self.decode(self.encode(x_target)[0])
        b = x_skip.shape[0]
        z, skips = self.encode(torch.cat([x_skip, x_target]))
        return self.decode(z[b:], [s[:b] for s in skips])

    def loss(self, x_t: torch.Tensor, x_tk: torch.Tensor) -> torch.Tensor:
        """Training loss: MSE of x_{t+k} reconstructed from latent(x_{t+k}) and skips(x_t)."""
        return F.mse_loss(self(x_t, x_tk).float(), x_tk.float())


class AeFrameModel(nn.Module):
    """An AutoEncoder seen as a DrNet: encode_pose = latent, encode_content = (empty vector, skips).

    ``pose_dim`` (the latent), ``content_dim`` (0) and ``normalize`` are what the LSTM and generation code read.
    """

    def __init__(self, ae: AutoEncoder):
        super().__init__()
        self.ae = ae
        self.pose_dim, self.content_dim, self.normalize = ae.latent_dim, 0, ae.normalize

    def encode_pose(self, x: torch.Tensor) -> torch.Tensor:
        return self.ae.encode(x)[0]

    def encode_content(self, x: torch.Tensor):
        z, skips = self.ae.encode(x)
        return z.new_zeros(z.shape[0], 0), skips

    def decode(self, content: torch.Tensor, pose: torch.Tensor, skips=None) -> torch.Tensor:
        return self.ae.decode(pose, skips)
