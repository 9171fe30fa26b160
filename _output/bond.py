"""
The ``bond`` outputter: ``salt-run bond.report`` and ``bond.rollout`` as tables.

``salt-run`` picks it when no ``--out`` is given; ``--out=json`` (or ``yaml``,
``nested``) shows the same data plainly. Text from minions is shown with its
control characters escaped, so a hostile bond name cannot drive the terminal.
The rendering lives in ``salt_bonding.fleet.text``.

CLI Example:

.. code-block:: bash

    salt-run bond.report --out=bond
"""

import pprint

try:  # synced: Salt puts extmods/utils on sys.path while it loads this module
    import salt_bonding

    salt_bonding = salt_bonding.current()
    from salt_bonding.fleet import text as _text
except ImportError as _exc:
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

__virtualname__ = "bond"


def __virtual__():
    if _IMPORT_ERROR is not None:
        return (False, f"The bond outputter needs the salt_bonding package: {_IMPORT_ERROR}")
    return __virtualname__


def output(data, **kwargs):  # pylint: disable=unused-argument
    """The report or the rollout as a table; anything else as Python would print it."""
    if isinstance(data, dict) and data.get("error"):
        return _text.safe(data["error"])
    if isinstance(data, dict) and {"summary", "minions"} <= set(data):
        return _text.report(data)
    if isinstance(data, dict) and {"target", "test"} <= set(data):
        return _text.rollout(data)
    shown = data if isinstance(data, str) else pprint.pformat(data)
    return "\n".join(_text.safe(line) for line in shown.splitlines())
