# Helpers of the Snakefile: loading params.yaml, config validation and per-rule --set overrides
# (logic in drnet/dag_support.py).
import os
import sys

sys.path.insert(0, workflow.basedir)
os.environ.update(PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))  # stages use this venv

from drnet.dag_support import check_config, merged_config, overrides
from drnet.errors import DrnetError
from stages.dag import targets


def load_config(config):
    """params.yaml (safe YAML: no code, no aliases) with the command line's --config merged on top, in place."""
    replace = getattr(workflow.config_settings, "replace_workflow_config", False)
    try:
        merged = merged_config(config, "params.yaml", replace=replace)
    except DrnetError as exc:
        sys.exit(f"error: {exc}")
    config.clear()
    config.update(merged)


def validate_config(config):
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
