"""Training: one loop (``loop``) driving each model's step (``drnet``, ``ae``, ``lstm``); resuming; device/DDP."""
