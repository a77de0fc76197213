# One rule per job of the stage table (stages/dag/registry.py), made when Snakemake parses the workflow: the same
# per-stage commands, inputs, outputs and params keys as dvc.yaml (rendered from the same table). Each rule's parts
# come from stages/dag/smk.py; workflow/common.smk defines OVERRIDE_PARAMS(...) and OVERRIDES(...).
#
#   input    the stage's deps, plus `src`: the source files its module runs (an edit re-runs exactly its rules)
#   output   folders as directory(), figures/tables/metrics as report() items with a caption
#   params   `values` (digest of the params keys it reads: its re-run trigger), --config overrides, checkpoints
from stages.dag import smk
from stages.dag.captions import write_captions
from stages.dag.registry import jobs

write_captions()  # into workflow/report/outputs/ (git-ignored): Snakemake reads report captions from files

# Each rule's shell command by rule name. Snakemake evaluates a rule's `shell:` once while parsing and again when
# the job runs, after this loop has moved on, so the command is looked up by `rule` (the running rule's name)
# there, and by the loop's job while parsing.
SHELL = {job.name: f"{smk.command(job)}{OVERRIDES(job.stage.params)} 2>&1 | tee {{log}}" for job in jobs()}


for job in jobs():
    rule:
        name:
            job.name
        input:
            **smk.inputs(job),
        output:
            **smk.outputs(job, directory, report),
        params:
            **OVERRIDE_PARAMS(job.stage.params, job.variant),
            **smk.persist(job),
        log:
            f"logs/{job.name}.log",
        benchmark:
            f"logs/benchmarks/{job.name}.tsv"  # wall time and peak memory (max_rss) of the stage
        threads: job.threads
        resources:
            **smk.resources(job),
        shell:
            SHELL[vars().get("rule", job.name)]
