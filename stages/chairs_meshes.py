"""Stage: write the procedural chair meshes (chair_XXXX.ply, coloured) and a manifest.json marked synthetic.

The number of models and the seed are ``chairs.data.procedural_models`` and ``chairs.data.seed``; the folder is
what ``stages/chairs_build.py`` renders when ``chairs.data.source`` is ``procedural``.
"""

from __future__ import annotations

import sys

from drnet.data.chairs.procedural import write_procedural_meshes
from drnet.params import section
from stages.cli import announce, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--out", required=True, help="mesh folder to (re)create, e.g. data/raw/chairs/meshes")
    args = parser.parse_args(argv)
    data = section(load_stage_params(args), "chairs").data
    write_procedural_meshes(args.out, data.procedural_models, data.seed)
    announce(args.out)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
