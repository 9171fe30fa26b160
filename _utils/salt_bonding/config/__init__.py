"""The configuration: what the pillar may say, and what it means once validated.

- ``schema.py`` (with ``addressing.py``, ``bond_settings.py`` and ``checks.py``): the
  pillar in, a ``model.Config`` or one ``UserError`` naming every bad key out;
- ``model.py``: the validated configuration as typed values, what every later stage reads;
- ``options.py``: the bonding option table (data: type, range, modes, live or not,
  the NetworkManager that keeps it), used by validation, rendering, activation and docs;
  ``option_types.py``: what an option is and how each kind of value parses;
- ``ports.py``: the per-slave settings (queue_id, prio), a table beside the option table,
  and the pillar's ``slaves`` (a list, or a mapping of slave to its settings);
- ``choices.py``: the top-level choices (format, networkmanager, activate), one table;
- ``modes.py``, ``names.py``, ``values.py``: the modes, interface names and value parsers;
- ``nm_versions.py``: which NetworkManager a minion runs (installed, or what its release
  ships), which decides the bond options its files may carry.

A new pillar key starts here; a new bonding option is a row of the option table.
"""
