"""Observing running bonds: reading them, judging them, and saying what changed.

- ``status.py``: ``/proc/net/bonding`` and sysfs read into a status mapping (``proc.py``:
  the text of ``/proc/net/bonding/<bond>``);
  ``health.py``: its verdict (ok, degraded, down) and the problems;
- ``compare.py``: desired (``config.model.Bond``) against live, the one comparison behind
  activation's verify, ``bond.verify`` and the beacon; ``drift.py``: ``bond.verify``
  (pillar against the files and the kernel);
- ``watch.py``: the beacon's events; ``grains.py``: the bonds grain;
  ``metrics.py``: Prometheus text for node_exporter's textfile collector.

A new observer (something that reads bonds and reports) goes here.
"""
