"""The ``bond`` runner's arguments, checked: each error names the argument, the value
given and what is allowed (:class:`ArgumentError`, which the runner returns as its
error with exit code 1, never a traceback)."""

import os
import re

# Salt's target types (salt.utils.minions.CkMinions, Salt 3006 and 3008 alike).
TGT_TYPES = ("glob", "pcre", "list", "grain", "grain_pcre", "pillar", "pillar_pcre",
             "pillar_exact", "nodegroup", "compound", "ipcidr", "range")
PERCENT = re.compile(r"(\d+(\.\d+)?)%")


class ArgumentError(ValueError):
    """A runner argument that is not allowed; the message says which and why."""


def unknown(kwargs, allowed):
    """Refuse keyword arguments the function does not take (Salt's own ``__pub_*``
    keys are not the user's)."""
    extra = sorted(k for k in kwargs if not str(k).startswith("__"))
    if extra:
        raise ArgumentError(f"unknown argument {extra[0]!r}; this function takes "
                            f"{', '.join(allowed)}")


def tgt(value, required=False):
    if value is None or value == "":
        if required:
            raise ArgumentError("tgt: required: the minions to roll out to (a glob such "
                                "as 'web*', or '*' for every minion)")
        return "*"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, str):
        return value
    # The CLI parses 'tgt=1' as YAML: a minion id that looks like a number is still an id.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ArgumentError(f"tgt: {value!r} is not a target; give a glob, or a list of minion "
                        "ids with tgt_type=list")


def tgt_type(value):
    if value not in TGT_TYPES:
        raise ArgumentError(f"tgt_type: {value!r} is not a target type; one of "
                            f"{', '.join(TGT_TYPES)}")
    return value


def seconds(name, value, default=None):
    """A positive number of seconds (``timeout``, ``gather_job_timeout``)."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
        raise ArgumentError(f"{name}: {value!r} is not a number of seconds; give a number "
                            "above 0, such as 60")
    return int(value) if float(value).is_integer() else value


def count(name, value, minimum):
    """A whole number at least ``minimum`` (``canary``)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ArgumentError(f"{name}: {value!r} is not allowed; give a whole number, "
                            f"{minimum} or more")
    return value


def batch(value):
    """``n`` minions per wave (1 or more) or ``n%`` of the targeted minions (above 0%,
    at most 100%, rounded up)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str):
        match = PERCENT.fullmatch(value.strip())
        if match and 0 < float(match[1]) <= 100:
            return value.strip()
    raise ArgumentError(f"batch: {value!r} is not a wave size; give a number of minions "
                        "(1 or more, such as 10) or a percentage of them (such as 10%)")


def switch(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ArgumentError(f"{name}: {value!r} is not allowed; give True or False")


def html_path(value):
    """Where to write the page: a file in a directory that exists (absolute, as given or
    from the working directory)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ArgumentError(f"html: {value!r} is not a path; give the file to write, such "
                            "as html=/var/www/bonds.html")
    path = os.path.abspath(value)
    if os.path.isdir(path):
        raise ArgumentError(f"html: {path} is a directory; give the file to write in it, "
                            f"such as html={os.path.join(path, 'bonds.html')}")
    if not os.path.isdir(os.path.dirname(path)):
        raise ArgumentError(f"html: cannot write {path}: {os.path.dirname(path)} is not a "
                            "directory")
    return path
