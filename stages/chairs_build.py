"""Stage: build the chairs train/test video stores (one video per model and elevation, rotating in azimuth).

Dispatches on ``chairs.data.source``:
- ``procedural`` renders the meshes written by ``stages/chairs_meshes.py`` (``--procedural-dir``, else
  ``chairs.data.mesh_dir``; the folder must carry their synthetic manifest);
- ``meshes`` renders any folder of OBJ/GLB/PLY/STL meshes (``chairs.data.mesh_dir``);
- ``authors_renders`` imports the published PNG renders (``chairs.data.renders_dir``, layout
  <model>/<elevation>/<azimuth>.png).
Stores: frames uint8 [N, S, S, 3], split by model (sorted, then seeded).
"""

from __future__ import annotations

import sys

from drnet.data.chairs.authors import import_authors_renders
from drnet.data.chairs.render import render_mesh_folder
from drnet.params import section
from stages.cli import finish_build, load_stage_params, stage_main, stage_parser


def _main(argv: list[str] | None) -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--train-out", required=True)
    parser.add_argument("--test-out", required=True)
    parser.add_argument("--summary-out", default=None, help="JSON: sizes, source, timing (optional)")
    parser.add_argument("--threads", type=int, default=1,
                        help="models rendered (worker processes) or read (threads) in parallel")
    parser.add_argument("--procedural-dir", default=None,
                        help="folder written by stages/chairs_meshes.py, used when the source is procedural "
                             "(the DAG passes it; default chairs.data.mesh_dir)")
    parser.add_argument("--mesh-dir", default=None, help="overrides chairs.data.mesh_dir")
    parser.add_argument("--renders-dir", default=None, help="overrides chairs.data.renders_dir")
    args = parser.parse_args(argv)
    params = load_stage_params(args)
    data = section(params, "chairs").data
    if data.source == "authors_renders":
        summary = import_authors_renders(args.renders_dir or data.renders_dir, args.train_out, args.test_out, data,
                                         threads=args.threads)
    else:
        folder = args.mesh_dir or data.mesh_dir
        if data.source == "procedural" and args.procedural_dir and not args.mesh_dir:
            folder = args.procedural_dir
        summary = render_mesh_folder(folder, args.train_out, args.test_out, data, threads=args.threads)
    finish_build(summary, params, "chairs", args)


main = stage_main(_main)

if __name__ == "__main__":
    sys.exit(main())
