"""Bonds brought live as ``activate: kernel`` brings them, without the state's files.

For the kernel tier's steps whose pillar no file format of that minion may carry: slave
settings (``queue_id``, ``prio``) are refused in ifcfg files for network-scripts, the only
files ``activate: kernel`` goes with (NetworkManager would undo its changes). Run inside
the kernel: ``python kernel_apply.py '<bonds as JSON>'`` validates each bond, reads it from
the kernel (``Running.snapshot``), makes the kernel planner's operations with
``Running.run`` and compares the result with the pillar as activation's verify does
(``compare.differences``); prints ``{"done": [what each step did], "differences": [...]}``.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_utils"))

from salt_bonding.activate.kernel_plan import plan_bond  # noqa: E402
from salt_bonding.activate.running import Running  # noqa: E402
from salt_bonding.config.schema import validate_bond  # noqa: E402
from salt_bonding.observe import compare  # noqa: E402


def main(argv):
    bonds = {name: validate_bond(name, value) for name, value in json.loads(argv[0]).items()}
    running = Running(run_command=None)
    before = running.snapshot(list(bonds))
    done = []
    for name, bond in bonds.items():
        ops, _ = plan_bond(bond, before[name])
        for op in ops:
            running.run(op)
            done.append(op.says)
    differences = [str(difference) for name, bond in bonds.items()
                   for difference in compare.differences(bond, running.status(name))]
    print(json.dumps({"done": done, "differences": differences}))


if __name__ == "__main__":
    main(sys.argv[1:])
