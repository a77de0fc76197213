"""Chairs (the paper's rotating-chair videos): three sources (``chairs.data.source``), one store format, one split.

- :mod:`~drnet.data.chairs.procedural`: ``procedural`` chair meshes written as a PLY folder (stage
  ``chairs_meshes``), then rendered like any mesh folder;
- :mod:`~drnet.data.chairs.render`: ``meshes``, any folder of OBJ/GLB/GLTF/PLY/STL/OFF meshes rendered offscreen;
- :mod:`~drnet.data.chairs.authors`: ``authors_renders``, already-rendered PNGs in the layout
  ``<renders_dir>/<model>/<elevation>/<azimuth>.png``;
- :mod:`~drnet.data.chairs.stores`: the split by model and the train/test stores every source writes (stage
  ``chairs_build``).
"""
