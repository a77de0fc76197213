"""The pipeline DAG: one table of stages, from which both front doors are generated.

- ``registry``: the stage table (command, inputs, outputs, params keys, resources) and its jobs per variant
- ``sources``: the source files each stage runs (its module and, transitively, the modules it imports)
- ``render``: dvc.yaml, workflow/stages.smk and the SLURM profile; ``captions``: the Snakemake report's captions
- ``cli``: ``python -m stages.dag write`` regenerates them; ``check`` (and a test) fails when one no longer
  matches the table or the imports, so Snakemake and DVC cannot drift apart
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: generated files are written under it
