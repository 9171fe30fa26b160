"""Per-slave (port) settings: their table (data) and the pillar's ``slaves``, list or mapping.

``slaves`` is a list of interface names, or a mapping of interface name to the
slave's own settings (``eth0: {queue_id: 2, prio: 10}``; ``eth0:`` alone, or a
list, is a slave without any). Each setting is a row of :data:`TABLE`, read by
validation (here), the renderers (the keyfile's ``[bond-port]`` key, the ifcfg-rh
variable), the kernel activator (the netlink attribute) and the README's table.

Facts, from the kernel (6.1 and later) and NetworkManager's sources:

- ``queue_id``: ``bond_option_queue_id_set`` (bond_options.c) takes ``<slave>:<id>``
  (sysfs ``bonding/queue_id``, or ``IFLA_BOND_SLAVE_QUEUE_ID`` over netlink) and
  refuses an id above the bond's ``real_num_tx_queues`` (the module parameter
  ``tx_queues``: 16 unless set, at most 255 in ``bond_check_params``) and a non-zero id
  another slave of the bond holds. The id steers traffic (tc's skbedit
  queue_mapping) only where ``bond_should_override_tx_queue`` (bonding.h) says: in
  balance-rr and active-backup. NetworkManager's ``[bond-port] queue-id`` since 1.34
  (NEWS: "bond: add support for setting queue-id of bond port"), ifcfg-rh
  ``BOND_PORT_QUEUE_ID`` (``make_bond_port_setting``, nms-ifcfg-rh-reader.c) alike.
- ``prio``: ``IFLA_BOND_SLAVE_PRIO`` (netlink only: no sysfs file, not in
  /proc/net/bonding), a signed 32-bit integer, kernel 6.0; ``BOND_OPT_PRIO``'s
  ``unsuppmodes`` refuse it outside active-backup, balance-tlb and balance-alb, where it
  ranks slaves when the active one is chosen again. NetworkManager's ``[bond-port]
  prio`` and ifcfg-rh's ``BOND_PORT_PRIO`` since 1.42.8 (NEWS: "Support port priority
  for bonding"; ``NM_SETTING_BOND_PORT_PRIO`` in nm-setting-bond-port.h of 1.42.8 and
  1.44.0, not of 1.42.4). Measured: 1.42.4's ``nmcli --offline`` drops ``prio`` and
  keeps ``queue-id``, 1.52.1 keeps both (tests/unit/test_render_keyfile.py).

initscripts' network-scripts have no per-slave setting (``ifup-eth`` writes only
``primary`` after enslaving): refused there by the ifcfg renderer.
"""

from dataclasses import dataclass

from .modes import ACTIVE_SLAVE_MODES
from .names import slave_name_problem
from .values import InvalidValue, describe, parse_decimal

INT32 = (-(2**31), 2**31 - 1)
DEFAULT_TX_QUEUES = 16  # the bonding module's tx_queues unless set
MAX_TX_QUEUES = 255  # the most bond_check_params takes


@dataclass(frozen=True)
class PortOption:
    """One per-slave setting: an integer in minimum..maximum, 0 (the kernel's default)
    when left out."""

    name: str
    doc: str
    minimum: int
    maximum: int
    modes: tuple  # the modes in which it has an effect (refused in the others)
    netlink: int  # its IFLA_BOND_SLAVE_* attribute in IFLA_INFO_SLAVE_DATA
    netlink_format: str  # the attribute's struct format
    networkmanager_since: tuple  # the first NetworkManager that keeps it (nm_versions)
    keyfile_key: str  # in the port profile's [bond-port] section
    ifcfg_key: str  # in the port's ifcfg file, for NetworkManager's ifcfg-rh plugin
    kernel_since: str
    # The kernel refuses a non-zero value another slave of the same bond holds.
    unique: bool = False
    # Above this the kernel refuses it unless the host is set up for it: a warning.
    usual_maximum: int | None = None
    above_usual: str = ""
    range_why: str = ""  # where the range comes from, for the message
    default: int = 0

    def allowed(self):
        return f"an integer {self.minimum}-{self.maximum}"

    def parse(self, value):
        """The value as an int, or InvalidValue saying what is allowed."""
        number = parse_decimal(value)
        if number is None and isinstance(value, str) and value.startswith("-"):
            number = parse_decimal(value[1:])  # "-5": a string the pillar's YAML did not read
            number = None if number is None else -number
        if number is None or not self.minimum <= number <= self.maximum:
            raise InvalidValue(f"invalid {self.name} {describe(value)}: expected {self.allowed()}"
                             f"{self.range_why}")
        return number


TABLE = (
    PortOption(
        "queue_id", "The transmit queue id of the slave: traffic a tc filter puts in this "
        "queue (skbedit queue_mapping) leaves through this slave. Up to the bonding module's "
        f"tx_queues ({DEFAULT_TX_QUEUES} unless set); unique among a bond's slaves but 0.",
        0, MAX_TX_QUEUES, ("balance-rr", "active-backup"), netlink=5, netlink_format="=H",
        networkmanager_since=(1, 34, 0), keyfile_key="queue-id",
        ifcfg_key="BOND_PORT_QUEUE_ID", kernel_since="2.6.35", unique=True,
        usual_maximum=DEFAULT_TX_QUEUES,
        above_usual=f"the bonding module's default tx_queues ({DEFAULT_TX_QUEUES}): the "
                    "kernel refuses it unless the module is loaded with tx_queues={value} "
                    "or more (options bonding tx_queues=... in /etc/modprobe.d)",
        range_why=f" (the kernel takes up to the bonding module's tx_queues, "
                  f"{DEFAULT_TX_QUEUES} unless set, {MAX_TX_QUEUES} at most)",
    ),
    PortOption(
        "prio", "The slave's priority when the active slave is chosen (higher wins; "
        "primary still comes first). Set over netlink only.",
        *INT32, ACTIVE_SLAVE_MODES, netlink=9, netlink_format="=i",
        networkmanager_since=(1, 42, 8), keyfile_key="prio", ifcfg_key="BOND_PORT_PRIO",
        kernel_since="6.0", range_why=" (the kernel's signed 32-bit integer)",
    ),
)
OPTIONS = {option.name: option for option in TABLE}


def settings_of(bond, slave):
    """``{setting: int}`` of every setting of ``slave`` in ``bond`` (a model.Bond, from pillar
    or read from the kernel), the kernel's default where it gives none."""
    given = bond.ports.get(slave, {})
    return {option.name: given.get(option.name, option.default) for option in TABLE}


def slave_path(path, slaves_value, slave):
    """The pillar path of ``slave`` in ``slaves_value`` (a list: its index; a mapping: its
    name); ``path`` is the bond's."""
    if isinstance(slaves_value, list) and slave in slaves_value:
        return f"{path}:slaves:{slaves_value.index(slave)}"
    return f"{path}:slaves:{slave}"


def parse_slaves(bond_value, name, mode, path, findings):
    """``(slaves in pillar order, {slave: {setting: int}}, whether every slave was valid)``
    of a bond's ``slaves`` (a list, or a mapping of name to settings)."""
    from . import checks  # validation only: bond.status reads the table, not the pillar

    if "slaves" not in bond_value:
        findings.error(path, "missing slaves: a list of interface names, e.g. [eth0, eth1]"
                             ", or a mapping of them to their settings (queue_id, prio)")
        return [], {}, False
    bond_path, path = path, f"{path}:slaves"
    value = bond_value["slaves"]
    if isinstance(value, dict):
        entries = [(checks.key_path(path, slave), slave, settings)
                   for slave, settings in value.items()]
    elif isinstance(value, list):
        entries = [(f"{path}:{index}", slave, None) for index, slave in enumerate(value)]
    else:
        findings.error(path, f"invalid slaves {describe(value)}: expected a list of interface "
                             "names, e.g. [eth0, eth1], or a mapping of them to their "
                             "settings, e.g. {eth0: {queue_id: 1}, eth1: null}")
        return [], {}, False
    slaves, ports, ok = [], {}, True
    for where, slave, settings in entries:
        problem = slave_name_problem(slave, name)
        if problem or slave in slaves:
            findings.error(where, problem or f"slave {slave} is listed twice")
            ok = False
            continue
        slaves.append(slave)
        given = _settings(settings, mode, where, findings)
        if given is None:
            ok = False
        elif given:
            ports[slave] = given
    _unique(ports, bond_path, value, findings)
    return slaves, ports, ok


def _settings(settings, mode, path, findings):
    """``{setting: int}`` of one slave (None: invalid, said)."""
    from . import checks

    if settings is None:
        return {}
    what = "a mapping of slave settings (" + ", ".join(OPTIONS) + "), or nothing"
    if checks.mapping(settings, path, findings, what) is None:
        return None
    checks.check_keys(settings, tuple(OPTIONS), path, findings, word="slave setting")
    given, failed = checks.parse_rows(settings, TABLE, mode, path, findings)
    for name, number in given.items():
        option = OPTIONS[name]
        where = f"{path}:{name}"
        if option.usual_maximum is not None and number > option.usual_maximum:
            findings.warn(where, f"{option.name} {number} is above "
                                 + option.above_usual.format(value=number))
    return None if failed or any(key not in OPTIONS for key in settings) else given


def _unique(ports, bond_path, slaves_value, findings):
    for option in TABLE:
        if not option.unique:
            continue
        holder = {}
        for slave, given in ports.items():
            number = given.get(option.name, option.default)
            if number == option.default:
                continue
            if number in holder:
                findings.error(f"{slave_path(bond_path, slaves_value, slave)}:{option.name}", (
                    f"{option.name} {number} is {holder[number]}'s too: the kernel takes a "
                    f"non-zero {option.name} for one slave of a bond only"))
            else:
                holder[number] = slave


def markdown_table():
    """The per-slave settings as Markdown, for the README."""
    from . import nm_versions

    lines = [
        "| Slave setting | Values | Default | Modes | Kernel | NetworkManager since | "
        "keyfile | ifcfg (NetworkManager) | Description |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for option in TABLE:
        row = (f"`{option.name}`", option.allowed(), f"`{option.default}`",
               ", ".join(option.modes), option.kernel_since,
               nm_versions.since_text(option.networkmanager_since),
               f"`[bond-port] {option.keyfile_key}`", f"`{option.ifcfg_key}`", option.doc)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"
