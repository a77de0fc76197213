"""Entry point of ``python -m stages.dag`` (stages/dag/cli.py)."""

import sys

from stages.dag.cli import main

sys.exit(main())
