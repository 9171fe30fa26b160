# Pillar top file: each host's bonds, matched by minion id. Copy this tree into
# your pillar_roots (see README).
#
# Each host file includes bonding.defaults itself. Defaults are never given to
# every minion ('*'): a minion that matches no host entry (renamed, a typo, a
# new host) then has no bonding pillar at all, and `state.apply bonding` fails
# with a message instead of removing every bond on it. Removing all bonds of a
# host takes `bonds: {}` in its own file.
base:
  'web1':
    - bonding.hosts.web1
  'db1':
    - bonding.hosts.db1
  'app1':
    - bonding.hosts.app1
  'deb1':                     # Debian 12: ifupdown files (or netplan's, if installed)
    - bonding.hosts.deb1
  'ubu1':                     # Ubuntu 24.04: netplan files
    - bonding.hosts.ubu1
