"""ResNet-18 / VGG16 U-Net networks (KTH, NORB, chairs) and the AE-LSTM baseline's autoencoder."""

import numpy as np
import pytest
import torch

from drnet.eval.generate import generate
from drnet.models import DrNet
from drnet.models.autoencoder import AutoEncoder
from drnet.models.lstm import PoseLSTM
from drnet.models.resnet import ResNet18Encoder
from drnet.models.vgg import Vgg16UnetDecoder, Vgg16UnetEncoder
from drnet.params import load_params, section
from drnet.train.drnet import generator_losses

SIZES_CHANNELS = [(64, 1), (64, 3), (128, 1), (128, 3)]


@pytest.mark.parametrize("size, channels", SIZES_CHANNELS)
@pytest.mark.parametrize("encoder_cls", [ResNet18Encoder, Vgg16UnetEncoder])
def test_encoder_shapes_and_unit_norm(encoder_cls, size, channels):
    enc = encoder_cls(channels, 12, width=4, image_size=size, normalize=True)
    v, skips = enc(torch.rand(2, channels, size, size))
    assert v.shape == (2, 12)
    torch.testing.assert_close(v.norm(dim=1), torch.ones(2))
    plain = encoder_cls(channels, 12, 4, size)(torch.rand(2, channels, size, size))[0]
    assert plain.shape == (2, 12) and plain.abs().max() < 1  # the authors' head: BatchNorm -> tanh
    if encoder_cls is ResNet18Encoder:
        assert skips is None
    else:  # one skip per VGG block (down to 4x4), before pooling: widths 1, 2, 4, 8 (, 8) x width
        levels = 4 if size == 64 else 5
        expected = [(2, 4 * m, size >> i, size >> i) for i, m in enumerate([1, 2, 4, 8, 8][:levels])]
        assert [tuple(s.shape) for s in skips] == expected


def test_resnet18_has_resnet18_layout():
    enc = ResNet18Encoder(3, 10, width=8, image_size=64)
    convs = [m for m in enc.features.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(convs) == 16  # 4 stages x 2 BasicBlocks x 2 convs (the head's 3x3 conv aside)
    assert sorted({c.out_channels for c in convs}) == [8, 16, 32, 64]
    stem = [m for m in enc.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (5, 5)]
    assert len(stem) == 1 and stem[0].stride == (2, 2)  # authors: 5x5 stride-2 stem, then a max-pool
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in enc.modules()) == 1


def test_vgg16_block_convs_follow_the_frame_size():
    convs = [sum(isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3) for m in
                 Vgg16UnetEncoder(3, 10, width=8, image_size=s).modules()) for s in (64, 128)]
    assert convs == [10, 13]  # authors' vgg_unet_64: four blocks down to 4x4; 128x128 adds the fifth


@pytest.mark.parametrize("size, channels", SIZES_CHANNELS)
def test_unet_decoder_shapes(size, channels):
    enc, dec = Vgg16UnetEncoder(channels, 12, 4, size), Vgg16UnetDecoder(12 + 5, channels, 4, size)
    x = torch.rand(2, channels, size, size)
    content, skips = enc(x)
    y = dec(content, torch.randn(2, 5), skips)
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1


def test_unet_decoder_uses_skips_and_requires_them():
    torch.manual_seed(0)
    enc, dec = Vgg16UnetEncoder(3, 12, 4, 64).eval(), Vgg16UnetDecoder(12 + 5, 3, 4, 64).eval()
    content, pose = torch.randn(2, 12), torch.randn(2, 5)
    skips_a, skips_b = enc(torch.rand(2, 3, 64, 64))[1], enc(torch.rand(2, 3, 64, 64))[1]
    assert not torch.allclose(dec(content, pose, skips_a), dec(content, pose, skips_b))
    with pytest.raises(ValueError, match="skips"):
        dec(content, pose, None)
    with pytest.raises(ValueError, match="expects 4 skips"):
        dec(content, pose, skips_a[:3])


@pytest.mark.parametrize("encoder_cls", [ResNet18Encoder, Vgg16UnetEncoder])
def test_gradients_reach_every_encoder_parameter(encoder_cls):
    torch.manual_seed(0)
    enc = encoder_cls(3, 8, width=4, image_size=64)
    v, skips = enc(torch.rand(3, 3, 64, 64))
    loss = (v * torch.randn_like(v)).sum() + sum(s.square().mean() for s in skips or [])
    loss.backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert all(p.grad.abs().sum() > 0 for p in enc.parameters() if p.ndim == 4), "a conv got no gradient"


@pytest.fixture(scope="module")
def kth(repo_root):
    return section(load_params(repo_root / "params.yaml"), "kth")


def test_drnet_builds_from_kth_params_and_trains_and_generates(kth):
    cfg = kth.model.model_copy(update={"width": 4, "content_dim": 16, "disc_hidden": 8})
    assert (cfg.content_encoder, cfg.pose_encoder, cfg.decoder) == ("vgg16_unet", "resnet18", "vgg16_unet")
    torch.manual_seed(0)
    model = DrNet(cfg, channels=1, image_size=kth.data.image_size)
    assert isinstance(model.content_encoder, Vgg16UnetEncoder) and isinstance(model.pose_encoder, ResNet18Encoder)
    size = kth.data.image_size
    x_t, x_tk = torch.rand(4, 1, size, size), torch.rand(4, 1, size, size)
    assert model(x_t, x_tk).shape == x_t.shape
    losses = generator_losses(model, x_t, x_tk)
    (losses.rec + losses.sim + losses.adv).backward()
    assert model.decoder.project[0].weight.grad.abs().sum() > 0
    lstm = PoseLSTM(cfg.pose_dim, cfg.content_dim, hidden=8, layers=2)
    out = generate(model.eval(), lstm.eval(), torch.rand(2, 3, 1, size, size), length=4)
    assert out.shape == (2, 4, 1, size, size)


@pytest.mark.parametrize("encoder_name", ["vgg16_unet", "resnet18", "dcgan64"])
def test_autoencoder_shapes_and_loss(encoder_name):
    torch.manual_seed(0)
    ae = AutoEncoder(encoder_name, latent_dim=24, channels=1, width=4, image_size=64)
    x_t, x_tk = torch.rand(3, 1, 64, 64), torch.rand(3, 1, 64, 64)
    z, skips = ae.encode(x_tk)
    assert z.shape == (3, 24) and (skips is not None) == ae.uses_skips
    assert ae.decode(z, skips).shape == x_tk.shape
    loss = ae.loss(x_t, x_tk)
    assert loss.ndim == 0
    loss.backward()
    assert all(p.grad is not None for p in ae.encoder.parameters())


def test_autoencoder_takes_skips_from_the_other_frame():
    """x_t+k is rebuilt from its own latent and x_t's skips, so motion must pass through the latent."""
    torch.manual_seed(0)
    ae = AutoEncoder("vgg16_unet", latent_dim=8, channels=1, width=4, image_size=64).eval()
    x_t, x_tk = torch.rand(2, 1, 64, 64), torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        expected = ae.decode(ae.encode(x_tk)[0], ae.encode(x_t)[1])
        torch.testing.assert_close(ae(x_t, x_tk), expected)
        ae.train()  # batch statistics keep signals alive through the N(0, 0.02)-initialised layers
        z, other_z = torch.nn.functional.normalize(torch.randn(2, 2, 8), dim=2)
        skips, other_skips = ae.encode(x_t)[1], ae.encode(x_tk)[1]
        assert not torch.allclose(ae.decode(z, skips), ae.decode(other_z, skips))  # the latent matters
        assert not torch.allclose(ae.decode(z, skips), ae.decode(z, other_skips))  # and so do the skips
    with pytest.raises(ValueError, match="unknown encoder"):
        AutoEncoder("vgg19", 8, 1)


def test_true_pose_decode_draws_each_real_pose_on_the_last_observed_content(kth, tmp_path):
    # The KTH table's decoder-only motion row: if these frames do not move, a frozen generation is the decoder's.
    from drnet.data.store import VideoStore, VideoStoreWriter
    from drnet.eval.kth_disentangle import true_pose_decode
    from drnet.frames import store_frames

    size = kth.data.image_size
    rng = np.random.default_rng(0)
    with VideoStoreWriter(tmp_path / "t.h5", dataset="kth", split="test", source="x", synthetic=True,
                          frame_shape=(size, size, 1)) as writer:
        for _ in range(2):
            writer.add(rng.integers(0, 256, (9, size, size, 1), dtype=np.uint8))
    store = VideoStore(tmp_path / "t.h5")
    cfg = kth.model.model_copy(update={"width": 4, "content_dim": 16, "disc_hidden": 8})
    torch.manual_seed(0)
    model = DrNet(cfg, channels=1, image_size=size).eval()
    out = true_pose_decode(model, store, np.array([0, 1]), n_past=3, length=5)
    assert out.shape == (2, 5, 1, size, size)
    for q in (0, 1):
        x = store_frames(store, np.stack([np.full(6, q), np.arange(2, 8)], 1))
        with torch.no_grad():
            expected = model(x[:1].expand(5, -1, -1, -1), x[1:]).float().clamp(0, 1)
        torch.testing.assert_close(out[q], expected, atol=1e-5, rtol=1e-4)
    assert (out[:, 1:] - out[:, :1]).abs().max() > 0, "different poses must draw different frames"
