"""small NORB (LeCun, Huang & Bottou, CVPR 2004): raw files, download, azimuth-video stores, a synthetic source.

The raw folder (``data/raw/norb`` for the official data, ``data/demo/raw/norb`` for the synthetic source) holds
the six files of norb-v1.0-small and a ``manifest.json`` (:mod:`drnet.data.raw`). One module per job:

- :mod:`~drnet.data.norb.format`: the binary matrix format (read, write, header checks);
- :mod:`~drnet.data.norb.files`: the six files of a split (names, categories, arrays checked for consistency);
- :mod:`~drnet.data.norb.download`: fetching the official files (stage ``norb_download``);
- :mod:`~drnet.data.norb.build`: the train/test stores of 18-frame azimuth sweeps (stage ``norb_build``);
- :mod:`~drnet.data.norb.synthetic`: the same six files of rendered procedural objects (stage ``norb_synth``).
"""
