"""The pillar's top-level choices: one table of their names and allowed values.

``format``, ``networkmanager`` and ``activate`` (at the top of a pillar key,
and ``activate`` per bond too; ``format`` and ``networkmanager`` as arguments
of ``bond.managed`` and ``bond.absent``) are words from a short list. They are
read one way everywhere: any case, the first value the default, a value
outside the list refused with its pillar path, the value and the list (never
dropped, never taken as the default). Pure Python, no Salt.
"""

from .values import describe, suggest, yaml_bool_hint

# key -> the allowed values, the default first.
CHOICES = {
    # which files: auto (what the minion reads, platform.py), ifcfg, keyfile (RHEL),
    # ifupdown or netplan (Debian, Ubuntu)
    "format": ("auto", "ifcfg", "keyfile", "ifupdown", "netplan"),
    # who reads ifcfg files (no default here: left out, the platform decides)
    "networkmanager": ("managed", "unmanaged", "disabled"),
    # how a run brings changed bonds live (activate/): none (files only) or a back-end
    "activate": ("none", "kernel", "ifup", "nmcli"),
}


def parse(key, value):
    """``(choice, None)``: ``value`` as one of ``CHOICES[key]`` (any case), or ``(None,
    why not)``: the value, the allowed ones, the closest of them."""
    allowed = CHOICES[key]
    choice = value.lower() if isinstance(value, str) else None
    if choice in allowed:
        return choice, None
    return None, (f"invalid value {describe(value)}: expected one of {', '.join(allowed)}"
                  f"{suggest(choice, allowed)}{yaml_bool_hint(value)}")
