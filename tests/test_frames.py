"""The one uint8 <-> float frame conversion: the same bits as the expressions it replaced, layouts as documented."""

import numpy as np
import pytest
import torch

from drnet.frames import store_frames, to_float, to_uint8, uint8_array, unit_array


def _frames(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


@pytest.mark.parametrize("shape", [(3, 8, 8, 1), (2, 4, 8, 8, 3)])
def test_to_float_is_the_old_division_bit_for_bit(shape):
    u8 = _frames(shape)
    old = torch.from_numpy(u8).movedim(-1, -3).float() / 255.0
    new = to_float(u8)
    assert new.dtype == torch.float32 and new.shape == old.shape and new.stride() == old.stride()
    assert torch.equal(new, old)
    assert float(new.max()) <= 1.0 and float(new.min()) >= 0.0


def test_to_float_refuses_float_input_it_would_overwrite():
    with pytest.raises(ValueError, match="uint8"):
        to_float(torch.zeros(1, 4, 4, 3))


def test_to_uint8_rounds_to_nearest_and_clips():
    x = torch.tensor([-0.5, 0.0, 0.5 / 255, 0.49 / 255, 0.2, 1.0, 1.7]).view(7, 1, 1, 1)  # [N, C, H, W]
    out = to_uint8(x)
    assert out.dtype == np.uint8 and out.shape == (7, 1, 1, 1)
    assert out.ravel().tolist() == [0, 0, 1, 0, 51, 255, 255]


def test_round_trip_keeps_every_uint8_value():
    u8 = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    assert np.array_equal(to_uint8(to_float(u8)), u8)
    assert np.array_equal(uint8_array(unit_array(u8)), u8)


def test_numpy_helpers_are_the_old_expressions():
    u8 = _frames((5, 6, 6, 3), seed=1)
    assert np.array_equal(unit_array(u8), u8.astype(np.float32) / 255.0) and unit_array(u8).dtype == np.float32
    assert unit_array(u8, np.float64).dtype == np.float64
    f = np.random.default_rng(2).uniform(-0.2, 1.2, size=(4, 4, 3))
    assert np.array_equal(uint8_array(f), (np.clip(f, 0, 1) * 255 + 0.5).astype(np.uint8))


def test_store_frames_stacks_items_channels_first():
    class Store:
        def frame(self, q, t):
            return np.full((4, 4, 1), 10 * q + t, np.uint8)

    x = store_frames(Store(), np.array([[1, 2], [0, 5]]))
    assert x.shape == (2, 1, 4, 4) and torch.equal(x[:, 0, 0, 0], torch.tensor([12.0, 5.0]) / 255.0)
