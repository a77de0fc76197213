"""Training and scoring the evaluations' classifiers: one generic, deterministic loop with early stopping.

The networks (``ActionClassifier``, ``MLPClassifier``) live in ``drnet.models.classifiers``.

``fit_classifier``, ``predict_proba`` and ``evaluate_accuracy`` take any array-like inputs indexable by an
integer array (numpy arrays, tensors); ``transform`` turns one indexed batch into the model's input tensor.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drnet.runtime.context import Context, module_device
from drnet.runtime.global_bn import global_batch_norm

Transform = Callable[[Any], torch.Tensor]


def to_float_tensor(batch: Any) -> torch.Tensor:
    """The default transform: any numeric batch -> float32 tensor, unchanged otherwise (a tensor stays on its
    device)."""
    if isinstance(batch, torch.Tensor):
        return batch.to(torch.float32)
    return torch.as_tensor(np.asarray(batch), dtype=torch.float32)


def frames_to_input(batch: Any) -> torch.Tensor:
    """uint8 frames [B, H, W, C] or clips [B, T, H, W, C] -> float [B, T * C, H, W] in [0, 1]."""
    x = (batch if isinstance(batch, torch.Tensor) else torch.as_tensor(np.asarray(batch))).float().div_(255.0)
    x = x.movedim(-1, -3)
    return x.flatten(1, 2) if x.ndim == 5 else x


def _labels(y: Any, n: int) -> torch.Tensor:
    labels = torch.as_tensor(np.asarray(y), dtype=torch.long)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"labels must be a vector of {n} integers (one per input), got shape {tuple(labels.shape)}")
    if n and labels.min() < 0:
        raise ValueError("labels must be non-negative class indices")
    return labels


@torch.no_grad()
def _logits(model: nn.Module, x: Any, batch_size: int, transform: Transform, device: torch.device) -> torch.Tensor:
    model.eval()
    out = [model(transform(x[s:s + batch_size]).to(device)).float().cpu() for s in range(0, len(x), batch_size)]
    return torch.cat(out)


def _device(model: nn.Module, device: str | torch.device | None) -> torch.device:
    return module_device(model) if device is None else torch.device(device)


def predict_proba(model: nn.Module, x: Any, batch_size: int = 256, transform: Transform = to_float_tensor,
                  device: str | torch.device | None = None) -> np.ndarray:
    """Class probabilities (softmax, float64) [N, K] of the model in eval mode; batches go to ``device``
    (default: the model's), the probabilities come back to the CPU."""
    return _logits(model, x, batch_size, transform, _device(model, device)).double().softmax(dim=1).numpy()


def evaluate_accuracy(model: nn.Module, x: Any, y: Any, batch_size: int = 256,
                      transform: Transform = to_float_tensor, device: str | torch.device | None = None) -> float:
    """Fraction of inputs whose most probable class is the label y [N] (batches on ``device``, default: the
    model's)."""
    labels = _labels(y, len(x))
    pred = _logits(model, x, batch_size, transform, _device(model, device)).argmax(dim=1)
    return float((pred == labels).float().mean())


def _split(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n_val = min(max(1, round(n * val_fraction)), n - 2)
    if n_val < 1:
        raise ValueError(f"need at least 3 examples to split off a validation set, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def fit_classifier(model: nn.Module, x: Any, y: Any, *, x_val: Any = None, y_val: Any = None,
                   val_fraction: float = 0.1, batch_size: int = 64, max_epochs: int = 100, patience: int = 10,
                   lr: float = 1e-3, seed: int = 0, steps_per_epoch: int | None = None,
                   transform: Transform = to_float_tensor, device: str | torch.device = "cpu",
                   ctx: Context | None = None) -> tuple[nn.Module, list[dict]]:
    """Train with Adam and cross-entropy; stop early on the validation loss; return (best model, history).

    x [N, ...] with labels y [N]. Validation: (x_val, y_val) when given, else a seeded ``val_fraction`` of x.
    An epoch is one shuffled pass (or ``steps_per_epoch`` batches, reshuffling as needed); training stops after
    ``patience`` epochs without a lower validation loss and the best weights are restored. Batches of one
    example are skipped (BatchNorm). Same seed and inputs -> same weights on CPU; the global RNG is untouched.
    history: one row per epoch {epoch, train_loss, val_loss, val_accuracy}.

    Under torchrun (``ctx.distributed``) every rank draws the same global batches and trains on its slice
    (rows rank, rank + W, ...) through DDP, batch norm over the global batch; the loss is scaled so that DDP's
    gradient average is the global batch's mean. Without dropout that is the single-process run (up to float
    rounding); dropout masks are drawn per rank. Validation and early stopping run identically on every rank.
    """
    device = torch.device(device)
    labels = _labels(y, len(x))
    if x_val is None:
        train_idx, val_idx = _split(len(x), val_fraction, seed)
        x_val, val_labels = x[val_idx], labels[val_idx]
        x, labels = x[train_idx], labels[train_idx]
    else:
        val_labels = _labels(y_val, len(x_val))
    if len(x) < 2:
        raise ValueError(f"need at least 2 training examples, got {len(x)}")
    n_batches = steps_per_epoch or math.ceil(len(x) / batch_size)
    model.to(device)
    world, rank = (ctx.world_size, ctx.rank) if ctx is not None and ctx.distributed else (1, 0)
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        net = DDP(global_batch_norm(model, device), device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    history: list[dict] = []
    best_loss, best_state, since_best = math.inf, copy.deepcopy(model.state_dict()), 0
    with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        order, pos = rng.permutation(len(x)), 0
        for epoch in range(1, max_epochs + 1):
            model.train()
            total, count = 0.0, 0
            for _ in range(n_batches):
                if pos >= len(order):
                    order, pos = rng.permutation(len(x)), 0
                idx = order[pos:pos + batch_size]
                pos += batch_size
                if len(idx) < max(2, world):  # BatchNorm needs 2 examples; every rank needs one
                    continue
                mine = idx[rank::world]
                logits = net(transform(x[mine]).to(device))
                loss = F.cross_entropy(logits if logits.dtype == torch.float64 else logits.float(),
                                       labels[mine].to(device), reduction="sum") * (world / len(idx))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total, count = total + loss.item() * len(idx) / world, count + len(mine)
            val_logits = _logits(model, x_val, 4 * batch_size, transform, device)
            val_loss = float(F.cross_entropy(val_logits, val_labels))
            val_acc = float((val_logits.argmax(dim=1) == val_labels).float().mean())
            history.append({"epoch": epoch, "train_loss": total / max(count, 1), "val_loss": val_loss,
                            "val_accuracy": val_acc})
            if val_loss < best_loss:
                best_loss, best_state, since_best = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                since_best += 1
                if since_best >= patience:
                    break
    model.load_state_dict(best_state)
    return model.eval(), history
