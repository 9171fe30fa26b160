{#-
  Switches the bond beacon on: salt '*' state.apply bonding.beacon
  (after saltutil.sync_all, which ships _beacons/bond.py). Not part of
  `state.apply bonding`, which runs bonding/init.sls only.

  Its configuration is pillar `bonding_beacon` (README, "Watching the bonds";
  the same keys as under `beacons: bond:` in the minion config), by default
  one pass every 5 seconds over every bond:

    bonding_beacon:
      interval: 5
      events: [failover, slave_down, slave_up, health]

  beacon.present adds it to the running minion (its first pass is a silent
  baseline) and, with save, to minion.d/beacons.conf for the next start.
-#}
{%- set config = salt['pillar.get']('bonding_beacon', {'interval': 5}) %}
bond-beacon:
  beacon.present:
    - name: bond
    - save: True
{%- for key, value in config|dictsort %}
    - {{ key }}: {{ value|json }}
{%- endfor %}
