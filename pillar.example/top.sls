# Pillar top file: shared defaults for every minion, then each host's bonds,
# matched by minion id. Copy this tree into your pillar_roots (see README).
base:
  '*':
    - bonding.defaults
  'web1':
    - bonding.hosts.web1
  'db1':
    - bonding.hosts.db1
  'app1':
    - bonding.hosts.app1
