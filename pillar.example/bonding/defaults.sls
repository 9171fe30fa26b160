# Defaults shared by every host: each host file includes this file, and Salt
# merges pillar dictionaries, so a host file adds its own `bonds` (and may
# override these two keys). Never put `bonds` here: `bonds: {}` means "remove
# every bond", and a minion that matched no host would get it.
bonding:
  # Left out, format and networkmanager follow each minion's OS (one pillar for a
  # mixed RHEL 7/8/9/10 fleet): RHEL 6/7 and 8 without NetworkManager get ifcfg
  # files for network-scripts (NM_CONTROLLED=no), RHEL 8 with NetworkManager
  # ifcfg files it reads, RHEL 9+ and Fedora NetworkManager keyfiles.
  # format: auto            # auto | ifcfg | keyfile
  # networkmanager: managed # managed: NetworkManager reads the files
  #                         # unmanaged: NM_CONTROLLED=no, network-scripts bring bonds up
  #                         # disabled: unmanaged, and stop and disable NetworkManager,
  #                         #   as the classic RHEL setup guide does
  # false (default): options live only in BONDING_OPTS of ifcfg-<bond>, as RHEL
  # advises. true: also write them as `options netdev-<bond> ...` in
  # /etc/modprobe.d/bonding.conf. Module options apply to every bond the module
  # creates, so use this only on hosts with one bond.
  modprobe_options: false

# For `state.apply bonding.beacon` (README, "Watching the bonds"): the bond
# beacon's configuration, the keys of `beacons: bond:` in a minion config.
# Left out: one pass every 5 seconds over every bond, every event.
# bonding_beacon:
#   interval: 5
#   events: [failover, slave_down, slave_up, health]
