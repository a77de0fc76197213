# drnet-pipeline: the DAG for Snakemake. The rules are generated from stages/dag.py (the single source of truth
# shared with dvc.yaml); this file validates the config, includes them and declares the final targets.
#
#   snakemake --cores 2 demo                              # the offline demo (tiny, embedded/synthetic data)
#   snakemake --cores 8 paper                             # every paper table and figure -> results/paper/
#   snakemake --cores 8 results/kth_inception.csv         # one result, paper scale
#   snakemake --cores 2 demo --config 'mnist={train: {steps: 100}}'   # params override (re-runs what it affects)
#   snakemake --profile profiles/slurm all                # on a SLURM cluster (README)
#   snakemake demo --report report.html                   # browsable report of what was run
#   snakemake --cores 2 proof                             # disentanglement shown on a 2-core CPU (README)


configfile: "params.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/common.smk"


validate_config(config)


localrules:
    all,
    paper,
    demo,
    proof,


rule all:
    input:
        targets("paper"),


rule paper:
    input:
        targets("paper"),


rule demo:
    input:
        targets("demo"),


rule proof:
    input:
        targets("proof"),


include: "workflow/stages.smk"
