import pytest
import torch

from drnet.models import DrNet
from drnet.models.dcgan import DcganDecoder, DcganEncoder
from drnet.models.discriminator import SceneDiscriminator
from drnet.models.lstm import PoseLSTM
from drnet.params import DrnetModel
from drnet.train.drnet import discriminator_loss, generator_losses


@pytest.mark.parametrize("size, channels", [(64, 3), (64, 1), (128, 3)])
def test_dcgan_shapes_and_unit_norm(size, channels):
    enc = DcganEncoder(channels, 12, width=8, image_size=size, normalize=True)
    dec = DcganDecoder(12 + 5, channels, width=8, image_size=size)
    x = torch.rand(3, channels, size, size)
    v, skips = enc(x)
    assert v.shape == (3, 12) and skips is None
    torch.testing.assert_close(v.norm(dim=1), torch.ones(3))
    unnormalized = DcganEncoder(channels, 12, width=8, image_size=size)(x)[0]
    assert unnormalized.abs().max() < 1  # the authors' head: BatchNorm -> tanh
    y = dec(v, torch.randn(3, 5))
    assert y.shape == x.shape and 0 <= y.min() and y.max() <= 1


def test_dcgan64_has_five_conv_layers():
    enc, dec = DcganEncoder(3, 10, 64, 64), DcganDecoder(20, 3, 64, 64)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in enc.modules()) == 5
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in dec.modules()) == 5


def test_discriminator_and_lstm_shapes():
    c = SceneDiscriminator(10, 100)
    assert c(torch.randn(4, 10), torch.randn(4, 10)).shape == (4,)
    assert sum(isinstance(m, torch.nn.Linear) for m in c.modules()) == 3  # 2 hidden layers + output
    lstm = PoseLSTM(10, 32, hidden=16, layers=2)
    assert lstm(torch.randn(4, 7, 10), torch.randn(4, 32)).shape == (4, 7, 10)
    out = lstm.rollout(torch.randn(4, 5, 10), torch.randn(4, 32), 9)
    assert out.shape == (4, 9, 10) and out.abs().max() <= 1


def test_rollout_equals_teacher_forcing_on_observed_steps():
    torch.manual_seed(0)
    lstm = PoseLSTM(4, 6, hidden=8, layers=2).eval()
    poses, content = torch.randn(2, 5, 4), torch.randn(2, 6)
    forced = lstm(poses, content)  # forced[:, t] predicts pose t+1 from poses[:, :t+1]
    first_free = lstm.rollout(poses, content, 1)[:, 0]
    torch.testing.assert_close(first_free, forced[:, -1])


def _model():
    torch.manual_seed(0)
    return DrNet(DrnetModel(width=8, content_dim=16, pose_dim=4, disc_hidden=8), channels=3, image_size=64)


def _grads(modules):
    return {name: any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
            for name, m in modules.items()}


def test_losses_reach_only_their_modules():
    model = _model()
    mods = {"Ec": model.content_encoder, "Ep": model.pose_encoder, "D": model.decoder, "C": model.discriminator}
    x_t, x_tk = torch.rand(6, 3, 64, 64), torch.rand(6, 3, 64, 64)
    model.discriminator.requires_grad_(False)
    losses = generator_losses(model, x_t, x_tk)
    losses.rec.backward(retain_graph=True)
    assert _grads(mods) == {"Ec": True, "Ep": True, "D": True, "C": False}
    model.zero_grad(set_to_none=True)
    losses.sim.backward(retain_graph=True)
    assert _grads(mods) == {"Ec": True, "Ep": False, "D": False, "C": False}
    model.zero_grad(set_to_none=True)
    losses.adv.backward()
    assert _grads(mods) == {"Ec": False, "Ep": True, "D": False, "C": False}
    model.zero_grad(set_to_none=True)
    model.discriminator.requires_grad_(True)
    pose = model.encode_pose(torch.cat([x_t, x_tk])).detach()
    loss, acc = discriminator_loss(model.discriminator, pose[:6], pose[6:], pose[6:][torch.tensor([1, 2, 3, 4, 5, 0])])
    loss.backward()
    assert _grads(mods) == {"Ec": False, "Ep": False, "D": False, "C": True}
    assert 0 <= acc <= 1


def test_adversarial_term_is_minimal_at_maximum_entropy():
    model = _model()
    for p in model.discriminator.net[-1].parameters():
        torch.nn.init.zeros_(p)  # C outputs logit 0 = probability 0.5 for every pair
    losses = generator_losses(model, torch.rand(4, 3, 64, 64), torch.rand(4, 3, 64, 64))
    torch.testing.assert_close(losses.adv, torch.log(torch.tensor(2.0)))  # BCE(0.5, 0.5) = ln 2, its minimum


@pytest.mark.parametrize("channels_last", [False, True])
def test_matrix_product_layers_equal_the_convolutions_they_replace(channels_last):
    """The encoders' heads (a conv whose kernel covers the map) and the decoders' first layer (a transposed conv
    from a 1x1 map) run as F.linear on the same parameters: outputs and gradients equal the convolutions'."""
    torch.manual_seed(0)
    cfg = DrnetModel(content_encoder="dcgan64_unet", pose_encoder="dcgan64", decoder="dcgan64_unet", width=8,
                     content_dim=16, pose_dim=4)
    model = DrNet(cfg, channels=3, image_size=32).double()
    x = torch.rand(6, 3, 32, 32, dtype=torch.float64)
    if channels_last:
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    runs = []
    for shortcut in (True, False):
        for m in model.modules():
            if hasattr(m, "matmul_shortcut"):
                m.matmul_shortcut = shortcut
        content, skips = model.content_encoder(x)
        pose = model.pose_encoder(x)[0]
        frame = model.decoder(content, pose, skips)
        wanted = [*model.content_encoder.parameters(), model.decoder.stem[0].weight,
                  model.pose_encoder.head.conv.weight]
        grads = torch.autograd.grad(frame.square().sum() + content.sum(), wanted)
        runs.append((content, pose, frame, *grads))
    for a, b in zip(*runs):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    assert runs[0][2].is_contiguous(memory_format=torch.channels_last) == channels_last


def test_vector_to_map_falls_back_to_the_layer_when_it_is_not_a_plain_projection():
    from torch import nn

    from drnet.models.heads import vector_to_map

    strided = nn.ConvTranspose2d(5, 3, 4, 2, 1)
    z = torch.rand(2, 5)
    torch.testing.assert_close(vector_to_map(strided, z), strided(z[:, :, None, None]))
    plain = nn.ConvTranspose2d(5, 3, 4, bias=True)
    torch.testing.assert_close(vector_to_map(plain, z), plain(z[:, :, None, None]))
