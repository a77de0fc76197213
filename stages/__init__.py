"""The pipeline's stage commands, one module per stage (``python -m stages.<name> --help``), and the DAG
(``stages/dag/``) that declares them to Snakemake and DVC."""
