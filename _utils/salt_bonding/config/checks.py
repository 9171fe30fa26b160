"""The walk's bookkeeping: findings (errors with their pillar paths, warnings) and the
checks every part of the pillar shares (known keys, a mapping, a bounded integer, a flag).
"""

from ..errors import UserError
from .options import NOT_SUPPORTED
from .values import InvalidValue, describe, parse_decimal, parse_flag, suggest, type_name


class Findings:
    """Errors and warnings gathered while walking the pillar."""

    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, path, message):
        self.errors.append((path, message))

    def warn(self, path, message):
        self.warnings.append(f"{path}: {message}")

    def raise_if_any(self):
        if self.errors:
            raise UserError(self.errors)


def check_keys(mapping, allowed, path, findings, word="key"):
    """Report every key of ``mapping`` not in ``allowed``, with the closest match."""
    for key in mapping:
        if key in allowed:
            continue
        if key in NOT_SUPPORTED and word == "option":
            reason = NOT_SUPPORTED[key]
            findings.error(f"{path}:{key}", f"option '{key}' is not supported here: {reason}")
            continue
        if not isinstance(key, str):
            findings.error(
                key_path(path, key),
                f"{word} {describe(key)} in {path} is not a string; allowed: "
                + ", ".join(allowed),
            )
            continue
        hint = suggest(key, allowed)
        findings.error(f"{path}:{key}", f"unknown {word} {describe(key)} in {path}{hint}")


def present(mapping, keep=()):
    """``mapping`` without null values: pillar merging cannot delete a key, so null means unset."""
    return {key: value for key, value in mapping.items() if value is not None or key in keep}


def key_path(path, key):
    return f"{path}:{key if isinstance(key, str) else describe(key)}"


def optional_mapping(value, path, findings, what):
    """``value`` when it is a dict, {} when it is None; otherwise report it and return {}."""
    if value is None:
        return {}
    return mapping(value, path, findings, what) or {}


def mapping(value, path, findings, what):
    """``value`` when it is a dict; otherwise report it and return None."""
    if isinstance(value, dict):
        return value
    got = "nothing (null)" if value is None else f"{type_name(value)} {describe(value)}"
    findings.error(path, f"expected {what}, got {got}")
    return None


def bounded_int(value, bounds, path, findings, what):
    number = parse_decimal(value)
    low, high = bounds
    if number is None or not low <= number <= high:
        findings.error(path, f"invalid {what} {describe(value)}: expected an integer {low}-{high}")
        return None
    return number


def flag(settings, key, path, findings):
    if key not in settings:
        return None
    value = parse_flag(settings[key])
    if value is None:
        findings.error(f"{path}:{key}", f"invalid {key} {describe(settings[key])}: expected "
                                        "true or false (or yes/no, on/off, 1/0)")
    return value


def list_path(path, key, settings, index):
    """The pillar path of item ``index`` of ``key`` (given as a list, or as one value)."""
    return f"{path}:{key}:{index}" if isinstance(settings.get(key), list) else f"{path}:{key}"


def listed(value):
    """A list from one value or a list (a single address is given as a string)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def modes_phrase(modes):
    return ("mode " if len(modes) == 1 else "modes ") + ", ".join(modes)


def parse_rows(values, rows, mode, path, findings):
    """``(given, failed names)``: each row of a table (bond options, slave settings) that
    ``values`` gives (null: not given), parsed by its ``parse`` (InvalidValue: said) and
    refused outside its ``modes`` (``mode`` None: not known, not checked)."""
    given, failed = {}, set()
    for row in rows:
        if values.get(row.name) is None:
            continue
        where = f"{path}:{row.name}"
        try:
            value = row.parse(values[row.name])
        except InvalidValue as exc:
            findings.error(where, str(exc))
            failed.add(row.name)
            continue
        if mode is not None and mode not in row.modes:
            findings.error(where, f"{row.name} has effect only in {modes_phrase(row.modes)}; "
                                  f"this bond is {mode}")
            failed.add(row.name)
            continue
        given[row.name] = value
    return given, failed
