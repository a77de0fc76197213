"""Bouncing two-colour MNIST (paper: 64x64 RGB, two digits, one occludes the other). One module per job:

- :mod:`~drnet.data.mnist.idx`: the official IDX files (names, md5s, parser; fetched by stage ``mnist_download``);
- :mod:`~drnet.data.mnist.digits`: scikit-learn's bundled 8x8 digits, the demo's offline source (``synthetic``);
- :mod:`~drnet.data.mnist.bouncing`: the clip generator, also behind training's fresh clips (no download);
- :mod:`~drnet.data.mnist.build`: the train/test stores (stage ``mnist_build``).
"""
