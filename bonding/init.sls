# The bonding formula: make this minion's bond files match its pillar.
#
#   salt '*' saltutil.sync_all      # once, and after upgrading these modules (not on
#                                   # minions that have the extension installed)
#   salt '*' state.apply bonding
#
# bond.reconciled reads pillar['bonding'] (the state ID is the pillar key),
# writes ifcfg-* files and the modprobe alias for every bond there, and removes
# the files of bonds it wrote earlier that are no longer in pillar.
#
# On a minion without the bond modules (never synced, or the extension not
# installed) the state fails saying how to get them, instead of Salt's
# "'bond.reconciled' is not available". The check is one lookup of the
# execution module, which the state module needs (the state loads when it does).
{%- if 'bond.status' in salt %}
bonding:
  bond.reconciled: []
{%- else %}
{%-   set why = salt.missing_fun_string('bond.status') if salt.missing_fun_string is defined
                else "'bond.status' is not available." %}
{%-   set message = "The bond modules are not on this minion (" ~ why ~ "). Get them from "
        ~ "the master: salt '" ~ grains['id'] ~ "' saltutil.sync_all (the master serves "
        ~ "_modules, _states, _beacons, _grains and _utils beside bonding/), or install the "
        ~ "Salt extension on the minion: pip install salt-bonding (salt-pip install on an "
        ~ "onedir minion); not both (README, Installing)." %}
bonding:
  test.fail_without_changes:
    - name: {{ message|json }}
    - comment: {{ message|json }}
{%- endif %}
