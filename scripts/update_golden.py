"""Rewrite tests/golden/: the files written for each pillar.example host.

tests/unit/test_golden.py checks that rendering still produces these bytes;
run this only when a change of output is intended, and review the diff.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "_utils"))  # the salt_bonding package

from tests.harness.golden import GOLDEN, HOSTS, render_host  # noqa: E402


def main():
    for host in HOSTS:
        out = GOLDEN / host
        out.mkdir(parents=True, exist_ok=True)
        for old in out.iterdir():
            old.unlink()
        for name, text in render_host(host).items():
            (out / name).write_bytes(text.encode())
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
