"""Training: the DrNet loop, the pose-LSTM loop, checkpoints/resume and device/DDP helpers."""
