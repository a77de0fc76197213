"""DrNet as the authors ran it: encoder heads, LSTM output, fresh MNIST clips, one-frame adversarial gradient,
separate BatchNorm passes, the authors' KTH networks, and the swap measure's own calibration."""

import numpy as np
import pytest
import torch

from drnet.data.mnist.bouncing import BouncingMnist, source_from_store
from drnet.data.mnist.build import build_split
from drnet.data.sampling import FreshPairDataset, FreshWindowDataset, fresh_pair_plan, pair_plan
from drnet.data.store import VideoStore
from drnet.eval import mnist_disentangle as dis
from drnet.eval.object_disentangle import object_readers, object_swap_table
from drnet.eval.readers import train_digit_reader
from drnet.frames import store_frames
from drnet.models import DrNet, init_weights
from drnet.models.lstm import PoseLSTM
from drnet.models.resnet import ResNet18Encoder
from drnet.models.vgg import Vgg16UnetEncoder
from drnet.params import DrnetModel, section
from drnet.train.drnet import encode_poses, generator_losses


def _mean_offdiag_cosine(v: torch.Tensor) -> float:
    v = torch.nn.functional.normalize(v.detach(), dim=1)
    cos = v @ v.T
    n = len(v)
    return float((cos.sum() - cos.diagonal().sum()) / (n * (n - 1)))


@pytest.mark.parametrize("name", ["dcgan64", "resnet18", "vgg16_unet"])
def test_content_vectors_of_different_clips_are_not_collinear_at_init(name):
    torch.manual_seed(0)
    cfg = DrnetModel(content_encoder=name, pose_encoder="resnet18" if name != "dcgan64" else "dcgan64",
                     decoder="vgg16_unet" if name == "vgg16_unet" else "dcgan64", width=8, content_dim=32, pose_dim=6)
    model = DrNet(cfg, channels=1, image_size=64)
    content = model.encode_content(torch.rand(16, 1, 64, 64))[0]
    # a bare conv + L2 norm gave cosine 0.997 between different clips; BatchNorm -> tanh centres each unit
    assert _mean_offdiag_cosine(content) < 0.5
    torch.testing.assert_close(content.norm(dim=1), torch.ones(16))  # normalize_content (paper, Lua drnet)
    pose = model.encode_pose(torch.rand(16, 1, 64, 64))
    torch.testing.assert_close(pose.norm(dim=1), torch.ones(16))  # normalize applies to pose
    plain = DrNet(cfg.model_copy(update={"normalize_content": False}), channels=1, image_size=64)
    content = plain.encode_content(torch.rand(16, 1, 64, 64))[0]
    assert content.abs().max() < 1 and content.norm(dim=1).std() > 0  # drnet-py: tanh-bounded, not unit norm


def test_lstm_predictions_stay_unit_norm_when_poses_are():
    torch.manual_seed(0)
    lstm = PoseLSTM(6, 10, hidden=16, layers=2, normalize=True).eval()
    observed = torch.nn.functional.normalize(torch.randn(3, 5, 6), dim=-1)
    rollout = lstm.rollout(observed, torch.randn(3, 10), 50)
    torch.testing.assert_close(rollout.norm(dim=-1), torch.ones(3, 50))
    torch.testing.assert_close(lstm(observed, torch.randn(3, 10)).norm(dim=-1), torch.ones(3, 5))
    assert PoseLSTM(6, 10, 16, 2).rollout(observed, torch.randn(3, 10), 5).norm(dim=-1).max() < 1  # without
    assert abs(float(lstm.embed.weight.detach().std()) - 0.02) < 0.005  # the authors' N(0, 0.02) init


def test_fresh_mnist_clips_every_step_with_a_fixed_test_set(tmp_path, demo_params):
    cfg = section(demo_params, "mnist").data.model_copy(update={"train_sequences": 3, "test_sequences": 3})
    build_split(tmp_path / "train.h5", "train", cfg, seed=0)
    build_split(tmp_path / "t1.h5", "test", cfg, seed=0)
    build_split(tmp_path / "t2.h5", "test", cfg, seed=0)
    t1, t2 = VideoStore(tmp_path / "t1.h5"), VideoStore(tmp_path / "t2.h5")
    assert t1.attrs["frames_sha256"] == t2.attrs["frames_sha256"]  # the test set is fixed
    store = VideoStore(tmp_path / "train.h5")
    source = source_from_store(store)
    assert len(source.digits) > 1000  # the whole training digit bank, not the 3 stored clips' digits
    data = FreshPairDataset(source, seed=0)
    plans = [fresh_pair_plan(cfg.seq_len, 8, 10, 0, step) for step in range(3)]
    ids = np.concatenate([p[:, 0] for p in plans])
    assert len(set(ids.tolist())) == 24  # every item of every step is a new clip
    a, b = data[tuple(plans[0][0])], data[tuple(plans[0][0])]
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])  # clip i is the same whichever worker draws it
    first = torch.stack([data[tuple(row)][0] for row in plans[0]])
    second = torch.stack([data[tuple(row)][0] for row in plans[1]])
    assert not torch.equal(first, second)
    window, _ = FreshWindowDataset(source, 0, 6)[(5, 2)]
    assert window.shape == (6, *store.frame_shape)


def test_any_two_frames_plan_covers_both_directions():
    lengths = np.array([30, 40, 25, 60])
    plans = np.concatenate([pair_plan(lengths, 4, None, 0, s) for s in range(200)])
    t, k = plans[:, 1], plans[:, 2]
    assert (k != 0).all() and (t + k >= 0).all() and (t + k < lengths[plans[:, 0]]).all()
    assert (k < 0).any() and (k > 0).any() and np.abs(k).max() > 20


def _tiny_drnet() -> DrNet:
    torch.manual_seed(0)
    return DrNet(DrnetModel(width=8, content_dim=16, pose_dim=4, disc_hidden=8), channels=3, image_size=64)


def test_adversarial_gradient_reaches_the_pose_encoder_through_one_frame_only():
    model = _tiny_drnet()
    model.discriminator.requires_grad_(False)
    x_t = torch.rand(6, 3, 64, 64, requires_grad=True)
    x_tk = torch.rand(6, 3, 64, 64, requires_grad=True)
    generator_losses(model, x_t, x_tk).adv.backward()
    assert x_t.grad is None  # Ep(x_t) is computed without gradient (authors: C(p_t.detach(), p_tk))
    assert x_tk.grad is not None and x_tk.grad.abs().sum() > 0


def test_each_frame_set_has_its_own_batch_norm_pass():
    model = _tiny_drnet().train()
    x_t, x_tk = torch.rand(6, 3, 64, 64), torch.rand(6, 3, 64, 64) * 0.2
    p_t, p_tk = encode_poses(model.pose_encoder, x_t, x_tk)
    torch.testing.assert_close(p_t, model.pose_encoder(x_t)[0])  # statistics of x_t's batch alone
    joint = model.pose_encoder(torch.cat([x_t, x_tk]))[0][:6]
    assert not torch.allclose(p_t, joint, atol=1e-4)  # a concatenated pass would mix both frames' statistics


def test_kth_networks_match_the_authors_at_64():
    vgg = Vgg16UnetEncoder(1, 128, 64, 64)
    n_convs = sum(isinstance(m, torch.nn.Conv2d) for m in vgg.modules())
    assert n_convs == 11 and 8.6e6 < sum(p.numel() for p in vgg.parameters()) < 8.8e6  # 10 VGG convs + head
    sizes = []
    resnet = ResNet18Encoder(1, 24, 64, 64).eval()
    hooks = [block.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
             for block in resnet.features if block.__class__.__name__ == "BasicBlock"]
    resnet(torch.rand(1, 1, 64, 64))
    for h in hooks:
        h.remove()
    assert sizes[1::2] == [17, 9, 5, 3]  # stage outputs (authors: 5x5 stem + max-pool first)


def test_swap_measure_reads_an_oracle_near_perfectly_and_a_content_blind_decoder_at_chance(tmp_path, demo_params):
    cfg = section(demo_params, "mnist").data.model_copy(update={"train_sequences": 2, "test_sequences": 60,
                                                                "image_size": 32, "digit_size": 16,
                                                                "max_speed": 2})
    build_split(tmp_path / "train.h5", "train", cfg, seed=0)
    build_split(tmp_path / "test.h5", "test", cfg, seed=0)
    train, test = VideoStore(tmp_path / "train.h5"), VideoStore(tmp_path / "test.h5")
    reader, acc = train_digit_reader(train, test, steps=250, batch_size=64, seed=0, width=8)
    assert acc > 0.8
    source, truths = dis.test_truth(test, seed=0)
    np.testing.assert_array_equal(test.frames(3), source.render(truths[3].clip, np.arange(test.length[3]))[0])
    pairs = dis.swap_pairs(test, truths, source, 150, seed=0)
    oracle = dis.mnist_swap_table(dis.oracle_swap(source, truths), pairs, truths, source, reader)
    blind = dis.mnist_swap_table(dis.content_blind_swap(source, truths), pairs, truths, source, reader)
    assert oracle["content_transfer"] > 0.8 and oracle["pose_error_px"] < 1.0
    assert abs(blind["content_transfer"] - blind["content_chance"]) < 0.1
    assert blind["content_matches_pose_clip"] > 0.8
    # the own-reconstruction row reads a perfect decoder's frames as its own clip's (its ceiling), for both
    assert oracle["own_reconstruction"] > 0.8 and blind["own_reconstruction"] > 0.8


def test_bouncing_source_refuses_digits_that_cannot_bounce():
    from drnet.errors import DrnetError

    with pytest.raises(DrnetError, match="do not bounce"):
        BouncingMnist(np.zeros((2, 32, 32), np.uint8), np.zeros(2), 32, 2, 4)


def test_init_weights_keeps_heads_centred():
    model = _tiny_drnet()
    init_weights(model)
    bn = model.content_encoder.head.bn
    assert abs(float(bn.weight.detach().mean()) - 1) < 0.05 and float(bn.bias.detach().abs().max()) == 0


def _stripes_store(path, categories, split="test", n_az=6, size=32):
    """Objects as stripes: object c vertical stripes of period c + 2; azimuth t horizontal ones, period t + 2."""
    from drnet.data.store import VideoStoreWriter

    rng = np.random.default_rng(len(categories))
    with VideoStoreWriter(path, dataset="norb", split=split, source="synthetic", synthetic=True,
                          frame_shape=(size, size, 1)) as w:
        for category in categories:
            frames = np.zeros((n_az, size, size, 1), np.uint8)
            for t in range(n_az):
                frames[t, :, (np.arange(size) % (category + 2)) == 0, 0] = 120
                frames[t, (np.arange(size) % (t + 2)) == 0, :, 0] += 120
                frames[t] = np.clip(frames[t].astype(int) + rng.integers(0, 20, frames[t].shape), 0, 255)
            w.add(frames, category=category)
    return VideoStore(path)


def test_object_swap_measure_is_calibrated_by_an_oracle_and_a_content_blind_swapper(tmp_path):
    store = _stripes_store(tmp_path / "objects.h5", [clip % 4 for clip in range(24)])
    train = _stripes_store(tmp_path / "train.h5", [4 + clip % 3 for clip in range(12)], split="train")
    by_category = {c: [q for q in range(len(store)) if store.meta("category")[q] == c] for c in range(4)}

    def oracle(pairs):  # A's object at B's azimuth
        items = np.array([(by_category[int(store.meta("category")[a])][0], tb) for a, _, _, tb in pairs])
        return store_frames(store, items)

    def blind(pairs):  # B's own frame
        return store_frames(store, pairs[:, 2:])

    shared = object_readers(store, "category", seed=0, width=8, max_epochs=40, pose_store=train)  # as the stage
    for pose_store, readers in ((None, None), (train, shared)):  # azimuth reader on test frames (+ training split)
        good = object_swap_table(oracle, store, "category", 200, seed=0, width=8, max_epochs=40, pose_store=pose_store,
                                 readers=readers)
        bad = object_swap_table(blind, store, "category", 200, seed=0, width=8, max_epochs=40, pose_store=pose_store,
                                readers=readers)
        assert good["content_reader_ceiling"] > 0.9 and good["pose_reader_ceiling"] > 0.9
        assert good["content_transfer"] > 0.9 and good["pose_transfer"] > 0.9
        assert bad["content_transfer"] < 0.1 and bad["content_from_pose_clip"] > 0.9  # pairs are different objects


def test_frame_reader_learns_from_the_extra_split(tmp_path):
    # The azimuth reader of NORB/chairs also trains on the training split's frames (other objects, same azimuths):
    # a training split whose labels are shifted by one azimuth outnumbers the test frames and moves the reader.
    from drnet.eval.readers import all_items, train_frame_reader

    store = _stripes_store(tmp_path / "test.h5", [0, 1])
    train = _stripes_store(tmp_path / "train.h5", [2 + clip % 4 for clip in range(32)], split="train")
    items, extra_items = all_items(store), all_items(train)
    ceilings = {}
    for shift in (0, 1):
        extra = (train, extra_items, (extra_items[:, 1] + shift) % 6)
        _, ceilings[shift] = train_frame_reader(store, items, items[:, 1], 6, seed=0, width=8, max_epochs=30,
                                                extra=extra)
    assert ceilings[0] > 0.9 and ceilings[1] < 0.5


def test_dcgan_unet_decoder_draws_from_the_content_frames_skips():
    # drnet-py's dcgan_unet_64: the content encoder's block outputs reach the decoder; the plain DCGAN's
    # encoder weights keep their names, so models saved before the U-Net option still load.
    cfg = DrnetModel(content_encoder="dcgan64_unet", decoder="dcgan64_unet", width=8, content_dim=16, pose_dim=4)
    torch.manual_seed(0)
    model = DrNet(cfg, channels=2, image_size=32).eval()
    content, skips = model.encode_content(torch.rand(3, 2, 32, 32))
    assert [tuple(s.shape[1:]) for s in skips] == [(8, 16, 16), (16, 8, 8), (32, 4, 4)]
    pose = model.encode_pose(torch.rand(3, 2, 32, 32))
    out = model.decode(content, pose, skips)
    assert out.shape == (3, 2, 32, 32)
    assert (out - model.decode(content, pose, [torch.zeros_like(s) for s in skips])).abs().max() > 1e-3
    plain = DrNet(DrnetModel(width=8, content_dim=16, pose_dim=4), channels=2, image_size=32)
    assert plain.content_encoder.state_dict().keys() == model.content_encoder.state_dict().keys()
    with pytest.raises(ValueError, match="skips"):
        model.decode(content, pose, None)


def test_lr_drop_is_applied_by_the_step_from_its_step_number():
    from drnet.params import DrnetTrain
    from drnet.runtime.context import Context
    from drnet.train.drnet import DrnetStep

    cfg = DrnetTrain(steps=10, batch_size=4, lr=0.002, lr_drop_at=0.5, lr_drop_factor=0.1, max_step=2)
    assert [cfg.lr_at(s) for s in (0, 4, 5, 9)] == [0.002, 0.002, pytest.approx(0.0002), pytest.approx(0.0002)]
    assert DrnetTrain(steps=10).lr_at(9) == 0.002  # null: the authors' constant lr
    torch.manual_seed(0)
    model = DrNet(DrnetModel(width=4, content_dim=8, pose_dim=4), channels=1, image_size=8)
    step = DrnetStep(model, cfg, Context(device=torch.device("cpu")), seed=0)
    batch = (torch.randint(0, 255, (4, 8, 8, 1), dtype=torch.uint8),
             torch.randint(0, 255, (4, 8, 8, 1), dtype=torch.uint8), torch.tensor([0, 1, 2, 3]))
    lrs = []
    for s in (4, 5, 3):  # a resumed run jumps straight to its step: the lr follows the step, not the history
        step(batch, s)
        lrs.append([g["lr"] for opt in step.optimizers.values() for g in opt.param_groups])
    assert lrs == [[0.002, 0.002], [pytest.approx(0.0002)] * 2, [0.002, 0.002]]


def test_standardized_lstm_sees_poses_packed_in_a_tiny_cap_and_keeps_them_there():
    # A DrNet can put all its poses in a cap of std ~0.01 (the MNIST proof model): standardised, the LSTM reads
    # them at unit scale, predicts back in the cap, on the sphere, and its file rebuilds the same module.
    torch.manual_seed(0)
    centre = torch.nn.functional.normalize(torch.randn(6), dim=0)
    poses = torch.nn.functional.normalize(centre + 0.01 * torch.randn(64, 5, 6), dim=-1)
    lstm = PoseLSTM(6, 4, hidden=16, layers=1, normalize=True, standardize=True)
    lstm.fit_standardization(poses)
    z = lstm._input(poses)
    assert abs(float(z.flatten(0, 1).std(0).mean()) - 1) < 0.1 and float(z.mean().abs()) < 0.1
    pred = lstm.rollout(poses[:, :3], torch.zeros(64, 4), 4)
    assert torch.allclose(pred.norm(dim=-1), torch.ones(64, 4), atol=1e-5)
    assert float((pred - centre).norm(dim=-1).max()) < 0.2  # in the cap, not anywhere on the sphere
    raw = PoseLSTM(6, 4, hidden=16, layers=1, normalize=True)
    assert "pose_mean" not in raw.state_dict() and isinstance(raw.out[1], torch.nn.Tanh)  # authors' LSTM unchanged
