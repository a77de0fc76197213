import numpy as np
import pytest
import torch

from drnet.data.sampling import StepBatchSampler, different_clip_partner, pair_plan, window_plan


def test_pair_plan_offsets_and_distinct_clips():
    lengths = np.array([5, 20, 30, 8] * 10)
    for step in range(50):
        plan = pair_plan(lengths, 16, max_step=10, seed=0, step=step)
        seq, t, k = plan.T
        assert len(set(seq)) == 16
        assert (k >= 1).all() and (k <= np.minimum(10, lengths[seq] - 1)).all()
        assert (t >= 0).all() and (t + k < lengths[seq]).all()
    ks = np.concatenate([pair_plan(lengths, 16, 10, 0, s)[:, 2] for s in range(200)])
    assert ks.max() == 10 and len(set(ks)) == 10  # every offset up to max_step is used
    np.testing.assert_array_equal(pair_plan(lengths, 16, 10, 3, 7), pair_plan(lengths, 16, 10, 3, 7))


def test_window_plan_fits_clips():
    lengths = np.array([10, 15, 40])
    plan = window_plan(lengths, 8, window=15, seed=0, step=0)
    assert set(plan[:, 0]) <= {1, 2} and (plan[:, 1] + 15 <= lengths[plan[:, 0]]).all()


def test_sampler_shards_the_global_batch():
    def plan(step):
        return np.arange(8).reshape(4, 2) + 100 * step

    full = list(StepBatchSampler(plan, 2, 4))
    r0, r1 = list(StepBatchSampler(plan, 2, 4, 0, 2)), list(StepBatchSampler(plan, 2, 4, 1, 2))
    assert len(full) == 2 and full[0][0] == (200, 201)
    assert sorted(r0[0] + r1[0]) == sorted(full[0])


@pytest.mark.parametrize("seed", range(30))
def test_negatives_never_pair_a_clip_with_itself(seed):
    g = torch.Generator().manual_seed(seed)
    b = int(torch.randint(2, 40, (1,), generator=g))
    seqs = torch.randint(0, max(2, b // 2), (b,), generator=g)
    _, counts = torch.unique(seqs, return_counts=True)
    if 2 * counts.max() > b:
        with pytest.raises(ValueError):
            different_clip_partner(seqs, g)
        return
    perm = different_clip_partner(seqs, g)
    assert sorted(perm.tolist()) == list(range(b))
    assert (seqs[perm] != seqs).all()
