"""KTH Actions (Schuldt, Laptev & Caputo, ICPR 2004): names and sequences file, raw videos, download, build, synthetic.

The raw folder (``data/raw/kth`` for the official data, ``data/demo/raw/kth`` for the synthetic source) holds
``00sequences.txt``, the videos (in the six zips or extracted) and a ``manifest.json`` (:mod:`drnet.data.raw`).

- :mod:`~drnet.data.kth.sequences`: video names and the sequences file;
- :mod:`~drnet.data.kth.videos`: where the videos are (extracted or zip members) and the zip checks;
- :mod:`~drnet.data.kth.decode`: decoding a video into resized grey frames (also used for your own videos);
- :mod:`~drnet.data.kth.download`: fetching the official files (stage ``kth_download``);
- :mod:`~drnet.data.kth.build`: the train/test stores, split by person (stage ``kth_build``);
- :mod:`~drnet.data.kth.figure` and :mod:`~drnet.data.kth.synthetic`: the synthetic source's pictures and its raw
  folder (stage ``kth_synth``).
"""
