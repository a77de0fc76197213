"""drnet: a clean PyTorch reproduction of DrNet (Denton & Birodkar, 2017) and its pipeline."""

__version__ = "0.1.0"
