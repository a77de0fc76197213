"""Run by tests/test_ddp.py under torchrun (or alone): fit an ActionClassifier on seeded random frames with
``fit_classifier`` and save rank 0's weights and history to argv[1]. float64 and no dropout, so that 1 and 2
processes must agree to rounding."""

import sys

import numpy as np
import torch

from drnet.eval.classifiers import fit_classifier
from drnet.models.classifiers import ActionClassifier
from drnet.params import Runtime
from drnet.runtime.context import setup

ctx = setup(Runtime(threads=1, num_workers=0, precision="fp64"))
rng = np.random.default_rng(0)
x = rng.random((70, 3, 16, 16))
y = rng.integers(0, 3, 70)
x[np.arange(70), y] += 0.5  # a learnable signal: the label's channel is brighter
torch.manual_seed(0)
model = ActionClassifier(3, 3, width=4, image_size=16, dropout=0.0).double()
model, history = fit_classifier(model, x, y, batch_size=16, max_epochs=4, patience=10, lr=1e-2, seed=0,
                                transform=lambda a: torch.as_tensor(a, dtype=torch.float64), ctx=ctx)
if ctx.is_main:
    torch.save({"state": model.state_dict(), "history": history}, sys.argv[1])
