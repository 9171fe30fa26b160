"""Read ifcfg files the way initscripts do: bash sources them."""

import os
import subprocess

# bash prints every variable the file defined, as NUL-separated name/value pairs.
SOURCE_SCRIPT = r"""
: | :  # defines PIPESTATUS before the snapshot
__before=" $(compgen -v | tr '\n' ' ') "
set -a
. "$1"
set +a
for __k in $(compgen -v); do
  case "$__before" in *" $__k "*) continue;; esac
  case "$__k" in __*) continue;; esac
  printf '%s\0%s\0' "$__k" "${!__k}"
done
"""


def source_with_bash(path, cwd):
    """``{name: value}`` of the variables bash defines when it sources ``path`` in ``cwd``."""
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", SOURCE_SCRIPT, "bash", str(path)],
        cwd=cwd, capture_output=True, env={"PATH": os.environ["PATH"], "LC_ALL": "C"},
        check=True,
    )
    fields = proc.stdout.split(b"\0")[:-1]
    return {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields), 2)}
