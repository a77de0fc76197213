"""Stage: download the official MNIST IDX files (md5-verified, resumable) into the raw folder.

Your own copies of the four .gz files in the --from folder (default data/local/mnist) are copied in and
md5-verified instead of downloaded; a copy that fails its check is refused in one line and left untouched.
"""

from __future__ import annotations

import functools
import sys

from drnet.data.download import download
from drnet.data.mnist.idx import MNIST_FILES, read_idx
from drnet.data.raw import MANIFEST_FILE
from drnet.io import atomic_write_json
from drnet.params import section
from stages.cli import add_local_option, announce, load_stage_params, raw_outputs, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__, in_place=["--out"])  # resumed downloads stay where they are
    parser.add_argument("--out", default="data/raw/mnist", help="raw folder, inside data/ (default: data/raw/mnist)")
    parser.add_argument("--manifest", default=None, help=f"manifest JSON (default: OUT/{MANIFEST_FILE})")
    add_local_option(parser, "mnist")
    args = parser.parse_args(argv)
    cfg = section(load_stage_params(args), "mnist").download
    out, manifest_path = raw_outputs(args.out, args.manifest, MANIFEST_FILE)
    manifest = {}
    for key, remote in MNIST_FILES.items():
        # magic, shape and size checked before anything downstream trusts the file (a fresh failure is removed)
        validate = functools.partial(read_idx, kind=key.split("_")[1])
        path, digest = download(remote, cfg.mirrors, out, retries=cfg.retries, timeout=cfg.timeout_s,
                                validate=validate, local_dir=args.local_dir)
        validate(path)
        manifest[remote.name] = digest
    atomic_write_json(manifest_path, {"dataset": "mnist", "files": manifest})
    announce(out, manifest_path)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
