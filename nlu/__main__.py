"""``python -m nlu train CACHE_DIR [FILE...] [--no-encoder]``: train and cache in a child
process, so that the assistant itself never carries training's memory peak."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu")
    parser.add_argument("command", choices=["train"])
    parser.add_argument("cache_dir", type=Path)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--no-encoder", action="store_true")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()

    from nlu.encoder import load_encoder
    from nlu.model import NluConfig, load_or_train

    progress = None
    if args.progress:
        from nlu.progress import tqdm_progress

        progress = tqdm_progress
    load_or_train(None if args.no_encoder else load_encoder(), args.cache_dir, NluConfig.load(),
                  args.files or None, progress, isolated=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
