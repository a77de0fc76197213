"""Ordered parallel maps for the ingests: decode or render in workers, write in input order.

The stores must not depend on the worker count, so results are consumed in the order of the inputs while a
bounded number of tasks run ahead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(pool: Executor, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """``pool.map`` with at most ``window`` tasks in flight; results come in the order of ``items``."""
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
