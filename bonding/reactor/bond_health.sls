{#-
  Reactor for the bond beacon's events: salt://bonding/reactor/bond_health.sls.
  Not a state: `state.apply bonding` runs bonding/init.sls only, and applied by
  name this file renders to nothing (no event, no `data`).

  In /etc/salt/master (README, "Reacting on the master"):

    reactor:
      - 'salt/beacon/*/bond/*/failover':
        - salt://bonding/reactor/bond_health.sls
      - 'salt/beacon/*/bond/*/health':
        - salt://bonding/reactor/bond_health.sls

  For every event it gets, one line in the master's log, at warning (the
  default log level keeps it):

    bond beacon: web1 bond0 failover: active slave ens1f0 -> ens2f0
    bond beacon: web1 bond0 health: ok -> degraded (slave ens1f0 is down)

  When a health event's verdict is not ok, it also runs bond.health on that
  minion: the full report lands in the master's job cache
  (salt-run jobs.list_jobs search_function=bond.health) and on its event bus.
  Swap the log line for your notifier (slack.post_message, smtp.send_msg, ...)
  in a copy of this file.
-#}
{%- if data is defined and tag is defined and data.get('bond') and data.get('id') %}
{%-   set minion = data['id'] %}
{%-   set event = tag.split('/')[-1] %}
{%-   if event == 'failover' %}
{%-     set what = 'active slave %s -> %s'|format(data.get('previous_active_slave'),
                                                   data.get('active_slave')) %}
{%-   elif event == 'health' %}
{%-     set what = '%s -> %s'|format(data.get('previous_health'), data.get('health')) %}
{%-     if data.get('problems') %}
{%-       set what = what ~ ' (' ~ data['problems']|join('; ') ~ ')' %}
{%-     endif %}
{%-   else %}
{%-     set fields = [] %}
{%-     for key, value in data|dictsort if not key.startswith('_') and key not in ('bond', 'id') %}
{%-       do fields.append(key ~ '=' ~ value) %}
{%-     endfor %}
{%-     set what = fields|join(', ') %}
{%-   endif %}

bond-beacon-{{ event }}-record:
  runner.salt.cmd:
    - args:
      - fun: log.warning
      - message: {{ ('bond beacon: %s %s %s: %s'|format(minion, data['bond'], event, what))|json }}

{%-   if event == 'health' and data.get('health') != 'ok' %}

bond-beacon-health-check:
  local.bond.health:
    - tgt: {{ minion|json }}
{%-   endif %}
{%- endif %}
