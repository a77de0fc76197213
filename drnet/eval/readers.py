"""Readers: networks trained on *real* frames that read what a swapped or generated frame shows.

Disentanglement is measured the way the paper shows it, by swapping content and pose between clips: for a
content clip A and a pose clip B, DrNet decodes ``D(Ec(A), Ep(B))``, and a disentangled model draws A's objects
in B's configuration. Readers trained only on real frames then read the swap (``drnet.eval.mnist_disentangle``,
``object_disentangle``, ``kth_disentangle``); each number comes with its chance level and the reader's own
accuracy on held-out real frames (the ceiling), so it can be read. Here: the MNIST digit reader (one colour
channel, one digit) and the CNN frame reader of the other datasets.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drnet.data.mnist.bouncing import BouncingMnist, source_from_store
from drnet.data.store import VideoStore
from drnet.eval.classifiers import evaluate_accuracy, fit_classifier
from drnet.frames import store_frames, unit_array
from drnet.models.classifiers import ActionClassifier
from drnet.runtime.context import module_device

# (content clip, content frame, pose clip, pose frame) -> swapped frames float [N, C, H, W] in [0, 1]
SwapFn = Callable[[np.ndarray], torch.Tensor]


class DigitReader(nn.Module):
    """One colour channel [B, 1, H, W] in [0, 1] -> digit logits [B, 10]; convs, then a global max pool (any
    position reads alike). Frames above 32 px are average-pooled to 32 px first (digits stay legible)."""

    def __init__(self, width: int = 32):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                       nn.Conv2d(c_out, c_out, 3, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.out = nn.Linear(c_in, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > 32:
            x = F.adaptive_avg_pool2d(x, 32)
        return self.out(self.features(x).amax(dim=(2, 3)))


def _single_digits(source: BouncingMnist, rng: np.random.Generator, n: int,
                   degrade: bool) -> tuple[np.ndarray, np.ndarray]:
    """n frames float32 [n, 1, H, W] each holding one bank digit at a random position, and its labels [n].

    ``degrade`` blurs and dims some of them, so the reader also reads a decoder's softer strokes.
    """
    size, s = source.image_size, source.digits.shape[1]
    ids = rng.integers(len(source.digits), size=n)
    pos = rng.integers(0, size - s + 1, size=(n, 2))
    out = np.zeros((n, 1, size, size), dtype=np.float32)
    for i, (k, (y, x)) in enumerate(zip(ids, pos)):
        digit = unit_array(source.digits[k])
        if degrade and rng.random() < 0.5:
            digit = cv2.GaussianBlur(digit, (0, 0), float(rng.uniform(0.5, 1.5))) * float(rng.uniform(0.5, 1.0))
        out[i, 0, y:y + s, x:x + s] = digit
    return out, source.labels[ids]


def train_digit_reader(train: VideoStore, test: VideoStore, steps: int, batch_size: int, seed: int,
                       width: int = 32, device: str | torch.device = "cpu") -> tuple[DigitReader, float]:
    """Train the digit reader on ``device`` on the training split's digit bank; return it (eval mode, on
    ``device``) and its accuracy on the test split's digits at random positions."""
    src_train, src_test = source_from_store(train), source_from_store(test)
    rng = np.random.default_rng([seed, 11])
    torch.manual_seed(seed)
    reader = DigitReader(width).to(device)  # initialised on the CPU: the same weights on every device
    opt = torch.optim.Adam(reader.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    reader.train()
    for _ in range(steps):
        x, y = _single_digits(src_train, rng, batch_size, degrade=True)
        loss = F.cross_entropy(reader(torch.from_numpy(x).to(device)), torch.from_numpy(y).to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    reader.eval()
    x, y = _single_digits(src_test, np.random.default_rng([seed, 12]), 2000, degrade=False)
    acc = float((read_digits(reader, torch.from_numpy(x)) == y).mean())
    return reader, acc


@torch.no_grad()
def read_digits(reader: DigitReader, channels: torch.Tensor, batch: int = 512) -> np.ndarray:
    """channels float [N, 1, H, W] in [0, 1] (any device) -> predicted digit int64 [N], read in batches on the
    reader's device."""
    device = module_device(reader)
    return np.concatenate([reader(channels[s:s + batch].to(device).float()).argmax(1).cpu().numpy()
                           for s in range(0, len(channels), batch)]) if len(channels) else np.zeros(0, np.int64)


def all_items(store: VideoStore) -> np.ndarray:
    """Every (clip, t) of a store in order, int64 [N, 2]."""
    return np.array([(q, t) for q in range(len(store)) for t in range(int(store.length[q]))], dtype=np.int64)


def train_frame_reader(store: VideoStore, items: np.ndarray, labels: np.ndarray, n_classes: int, seed: int,
                       width: int, max_epochs: int, batch_size: int = 64,
                       extra: tuple[VideoStore, np.ndarray, np.ndarray] | None = None,
                       device: str | torch.device = "cpu") -> tuple[nn.Module, float]:
    """A CNN reading ``labels`` off real frames ``items`` of ``store``: trained on a seeded 80% of them (plus every
    frame of ``extra`` = (store, items, labels), e.g. the training split for a factor shared across splits), its
    accuracy on the other 20% (real frames of ``store``) returned as the ceiling of any swap read by it. It trains
    and stays on ``device`` (the frames are held on the CPU and sent there a batch at a time)."""
    order = np.random.default_rng([seed, 21]).permutation(len(items))
    cut = int(0.8 * len(items))
    train_idx, held_idx = np.sort(order[:cut]), np.sort(order[cut:])
    x = store_frames(store, items)
    x_fit, y_fit = x[train_idx], labels[train_idx]
    if extra is not None:
        x_fit = torch.cat([store_frames(extra[0], extra[1]), x_fit])
        y_fit = np.concatenate([extra[2], y_fit])
    return _fit_frame_reader(x_fit, y_fit, x[held_idx], labels[held_idx], n_classes, seed, width, max_epochs,
                             batch_size, device)


def _fit_frame_reader(x: torch.Tensor, y: np.ndarray, x_held: torch.Tensor, y_held: np.ndarray, n_classes: int,
                      seed: int, width: int, max_epochs: int, batch_size: int,
                      device: str | torch.device = "cpu") -> tuple[nn.Module, float]:
    torch.manual_seed(seed)
    reader = ActionClassifier(x.shape[1], n_classes, width=width, image_size=x.shape[-1], dropout=0.2)
    reader, _ = fit_classifier(reader, x, y, batch_size=batch_size, max_epochs=max_epochs, patience=3, seed=seed,
                               device=device)
    return reader.eval(), float(evaluate_accuracy(reader, x_held, y_held))
