"""Evaluation: generation, the Inception score, classifiers and probes, nearest neighbours in pixel space."""
