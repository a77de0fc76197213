"""Stage: generate the synthetic small-NORB-format raw folder (six .mat files of rendered objects + manifest.json).

Five categories of procedural meshes, ``norb.synthetic.instances`` instances each, 18 azimuths, two cameras,
``norb.synthetic.elevations`` elevations and ``norb.synthetic.lightings`` lightings (set them with --set for a
quicker run).
"""

from __future__ import annotations

import sys

from drnet.data.norb.synthetic import write_synthetic_norb
from drnet.params import section
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--out", required=True, help="raw-like folder to (re)create, e.g. data/demo/raw/norb")
    args = parser.parse_args(argv)
    write_synthetic_norb(args.out, section(load_stage_params(args), "norb").synthetic)
    announce(args.out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
