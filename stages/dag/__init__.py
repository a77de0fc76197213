"""The pipeline DAG: one table of stages, read by both front doors.

- ``registry``: the stage table (command, inputs, outputs, params keys, resources) and its jobs per variant
- ``sources``: the source files each stage runs (its module and, transitively, the modules it imports)
- ``render``: dvc.yaml; ``smk``: the parts of each Snakemake rule, which workflow/rules.smk makes from the table
  when Snakemake parses the workflow; ``captions``: the Snakemake report's captions (written at parse time)
- ``support``: the Snakefile's config helpers (loading, validation, per-rule ``--set`` overrides, params digests)
- ``cli``: ``python -m stages.dag write`` regenerates dvc.yaml; ``check`` (and a test) fails when it no longer
  matches the table or the imports, so Snakemake and DVC cannot drift apart
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: generated files are written under it
