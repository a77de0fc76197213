# Helpers of the Snakefile: loading params.yaml, config validation and per-rule --set overrides
# (logic in stages/dag/support.py).
import os
import sys

sys.path.insert(0, workflow.basedir)
os.environ.update(PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))  # stages use this venv

from stages.dag.support import check_config, check_overrides_reach, merged_config, overrides, params_digest
from drnet.errors import DrnetError
from drnet.params.text import safe_yaml
from stages.dag.registry import jobs, targets


def load_config(config):
    """params.yaml (safe YAML: no code, no aliases) with the command line's --config merged on top, in place."""
    replace = getattr(workflow.config_settings, "replace_workflow_config", False)
    try:
        merged = merged_config(config, "params.yaml", replace=replace)
    except DrnetError as exc:
        sys.exit(f"error: {exc}")
    config.clear()
    config.update(merged)


def check_configfiles():
    """Refuse a --configfile that is not plain YAML (a yte template, aliases, a key given twice, ...): Snakemake has
    already read it through yte, evaluating a `__use_yte__: true` file's expressions as Python, so its values must
    not reach any job."""
    for path in workflow.config_settings.configfiles:
        try:
            tree = safe_yaml(open(path, encoding="utf-8").read(), f"--configfile {path}")
        except (DrnetError, OSError, UnicodeDecodeError) as exc:
            sys.exit(f"error: {exc}")
        if isinstance(tree, dict) and "__use_yte__" in tree:
            sys.exit(f"error: --configfile {path} is a yte template (__use_yte__), which Snakemake runs as Python "
                     f"while reading it; pass plain YAML overrides (README, Paper scale)")


check_configfiles()


def validate_config(config):
    """The config is valid for every variant, and every value --config changes is read by some rule."""
    try:
        check_config(config)
        check_overrides_reach(config, sorted({key for job in jobs() for key in job.stage.params}))
    except DrnetError as exc:
        sys.exit(f"error: {exc}")


def _overrides(keys):
    try:
        return overrides(config, keys)
    except DrnetError as exc:
        sys.exit(f"error: {exc}")


def OVERRIDE_PARAMS(keys, variant="paper"):
    """The rule's params: ``values``, the digest of the params keys its stage reads as resolved for its variant
    (params.yaml and --config; an edit to either changes it, and Snakemake re-runs a job whose params changed),
    plus {"overrides": "--set ..."} when --config changes one of these keys (only with a value, so the report
    shows no empty parameter)."""
    flags = _overrides(keys)
    try:
        digest = params_digest(config, keys, variant)
    except DrnetError as exc:
        sys.exit(f"error: {exc}")
    return {"values": digest, **({"overrides": flags} if flags else {})}


def OVERRIDES(keys):
    """The same --set flags for the shell command (an f-string in rules.smk), with a leading space when
    any and braces doubled for the job's own formatting."""
    flags = _overrides(keys)
    return (" " + flags.replace("{", "{{").replace("}", "}}")) if flags else ""
