# drnet-pipeline: the DAG for Snakemake. workflow/rules.smk makes one rule per job of the stage table in
# stages/dag/registry.py (shared with dvc.yaml) as Snakemake parses it; this file validates the config, includes
# the rules and declares the final targets. Each rule takes the source files its stage runs as input `src`:
# editing one re-runs exactly the rules that run it (README).
#
#   snakemake --cores 2 demo                              # the offline demo (tiny, embedded/synthetic data)
#   snakemake --cores 8 paper                             # every paper table and figure -> results/paper/
#   snakemake --cores 8 results/kth_inception.csv         # one result, paper scale
#   snakemake --cores 2 demo --config 'mnist={train: {steps: 100}}'   # params override (re-runs what it affects)
#   snakemake --profile profiles/slurm all                # on a SLURM cluster (README)
#   snakemake demo --report report.html                   # browsable report of what was run
#   snakemake --cores 2 proof                             # disentanglement shown on a 2-core CPU (README)
#   snakemake --cores 2 proof_kth                         # KTH generations that move, on a 2-core CPU
#
# params.yaml is read by workflow/common.smk with the project's safe YAML loader, not by `configfile:` (Snakemake
# reads configfiles through yte, so a params.yaml with `__use_yte__: true` would run Python on `snakemake -n`);
# --config values are merged on top exactly as `configfile:` would merge them.


report: "workflow/report/workflow.rst"


include: "workflow/common.smk"


load_config(config)
validate_config(config)


localrules:
    all,
    paper,
    demo,
    proof,
    proof_kth,


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


rule proof_kth:
    input:
        targets("proof_kth"),


include: "workflow/rules.smk"
