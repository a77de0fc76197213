"""Training: one loop (``loop``) driving each model's step (``drnet``, ``ae``, ``lstm``); resuming (device and DDP
plumbing: ``drnet.runtime``)."""
