"""Control quality: the naive, fixed-rate, predictive and oracle controllers against the RC and
the EnergyPlus house, scored with BOPTEST's KPIs (docs/control-quality.md). The oracle, the
physical limit measured in the same run, is the baseline.

    .venv/bin/python bench/control_quality.py [--quick] [--house rc] [--out DIR] ...

The same as ``rpymostat bench control``; ``--help`` lists the options.
"""

import sys

from rpymostat.sim.quality.cli import main

if __name__ == "__main__":
    sys.exit(main())
