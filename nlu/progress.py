"""A progress bar for training (tqdm, on standard error)."""

from __future__ import annotations

import sys
from collections.abc import Callable


def tqdm_progress(total: int) -> Callable[[int], None]:
    from tqdm import tqdm

    print("Training the language model on first start; it is cached afterwards.",
          file=sys.stderr)
    bar = tqdm(total=total, unit="ex", file=sys.stderr, leave=False)

    def advance(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return advance
