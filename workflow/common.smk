# Helpers of the Snakefile: config validation and per-rule --set overrides (logic in drnet/dag_support.py).
import os
import sys

sys.path.insert(0, workflow.basedir)
os.environ.update(PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))  # stages use this venv

from drnet.dag_support import check_config, overrides
from drnet.errors import DrnetError
from stages.dag import targets


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
