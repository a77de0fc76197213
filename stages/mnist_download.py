"""Stage: download the official MNIST IDX files (md5-verified, resumable) into the raw folder."""

from __future__ import annotations

import sys

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.download import download
from drnet.data.mnist import MNIST_FILES, read_idx
from drnet.io import atomic_write_json, ensure_dir
from drnet.params import section


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--out", default="data/raw/mnist", help="raw folder (inside data/)")
    parser.add_argument("--manifest", default="data/raw/mnist/manifest.json")
    args = parser.parse_args(argv)
    cfg = section(load_stage_params(args), "mnist").download
    ensure_dir(args.out)
    manifest = {}
    for remote in MNIST_FILES.values():
        path, digest = download(remote, cfg.mirrors, args.out, retries=cfg.retries, timeout=cfg.timeout_s)
        read_idx(path)  # magic and size check before anything downstream trusts the file
        manifest[remote.name] = digest
    atomic_write_json(args.manifest, {"dataset": "mnist", "files": manifest})
    announce(args.out, args.manifest)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
