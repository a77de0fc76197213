"""Stage: generate the synthetic small-NORB-format raw folder (six .mat files of rendered objects + manifest.json).

Five categories of procedural meshes, ``norb.synthetic.instances`` instances each, 18 azimuths, two cameras;
--elevations/--lightings override norb.synthetic.elevations/lightings (fewer renders for a quick demo).
"""

from __future__ import annotations

import sys

from drnet.cli import announce, load_stage_params, stage_main, stage_parser
from drnet.data.norb.synthetic import write_synthetic_norb
from drnet.params import section


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--out", required=True, help="raw-like folder to (re)create, e.g. data/demo/raw/norb")
    parser.add_argument("--elevations", type=int, default=None, help="elevation indices 0..N-1 (1..9; default: "
                        "norb.synthetic.elevations)")
    parser.add_argument("--lightings", type=int, default=None, help="lightings 0..N-1 (1..6; default: "
                        "norb.synthetic.lightings)")
    args = parser.parse_args(argv)
    cfg = section(load_stage_params(args), "norb").synthetic
    write_synthetic_norb(args.out, cfg, elevations=args.elevations, lightings=args.lightings)
    announce(args.out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
