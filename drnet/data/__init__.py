"""Data: raw sources, the HDF5 video store, samplers and synthetic sources."""
