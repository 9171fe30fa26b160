# The bonding formula: make this minion's bond files match its pillar.
#
#   salt '*' saltutil.sync_all      # once, and after upgrading these modules
#   salt '*' state.apply bonding
#
# bond.reconciled reads pillar['bonding'] (the state ID is the pillar key),
# writes ifcfg-* files and the modprobe alias for every bond there, and removes
# the files of bonds it wrote earlier that are no longer in pillar.
bonding:
  bond.reconciled: []
