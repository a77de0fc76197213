"""Evaluation (computing numbers): generation, the Inception score, classifiers and probes, the paper's
classification experiments, disentanglement by swapping, nearest neighbours in pixel space. Writing them as
files and figures is ``drnet.report``'s job."""
