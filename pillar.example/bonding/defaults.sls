# Defaults shared by every host: each host file includes this file, and Salt
# merges pillar dictionaries, so a host file adds its own `bonds` (and may
# override these two keys). Never put `bonds` here: `bonds: {}` means "remove
# every bond", and a minion that matched no host would get it.
bonding:
  # unmanaged (default): every file says NM_CONTROLLED=no, NetworkManager keeps off.
  # disabled: also stop and disable the NetworkManager service, as the classic
  #           RHEL setup guide does.
  networkmanager: unmanaged
  # false (default): options live only in BONDING_OPTS of ifcfg-<bond>, as RHEL
  # advises. true: also write them as `options netdev-<bond> ...` in
  # /etc/modprobe.d/bonding.conf. Module options apply to every bond the module
  # creates, so use this only on hosts with one bond.
  modprobe_options: false
