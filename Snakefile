# drnet-pipeline: the DAG for Snakemake. The rules are generated from stages/dag.py (the single source of truth
# shared with dvc.yaml); this file validates the config, includes them and declares the final targets.
#
#   snakemake --cores 2 demo                              # the offline demo (tiny, embedded/synthetic data)
#   snakemake --cores 8 results/mnist_probe.json          # paper scale
#   snakemake --cores 2 demo --config 'mnist={train: {steps: 100}}'   # params override (re-runs what it affects)
#   snakemake --profile profiles/slurm all                # on a SLURM cluster (README)
import os
import sys

sys.path.insert(0, workflow.basedir)
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]  # stages use this venv

from drnet.dag_support import check_config, overrides
from drnet.errors import DrnetError
from stages.dag import targets


configfile: "params.yaml"


try:
    check_config(config)
except DrnetError as exc:
    sys.exit(f"error: {exc}")


def OVERRIDES(keys):
    """--set flags for the params keys a rule reads, from any --config given on the command line."""
    try:
        return overrides(config, keys)
    except DrnetError as exc:
        sys.exit(f"error: {exc}")


localrules: all, demo


rule all:
    input:
        targets("paper"),


rule demo:
    input:
        targets("demo"),


include: "workflow/stages.smk"
