"""Where a run computes: device, precision, threads and torchrun/DDP (``context``), and batch norm over the global
batch of a distributed run (``global_bn``). Training and evaluation both use it; it imports neither."""
