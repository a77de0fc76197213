"""Reports: figures (PNG), grids/GIFs and paper tables."""
