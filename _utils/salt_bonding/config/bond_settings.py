"""One bond's settings in the pillar: mode, options, slaves, VLANs, activate, verify.

The option table (``options.py``) parses each option; here are the rules between them
(the link monitor and what needs it, the ARP targets initscripts would skip, primary among
the slaves), the VLANs, ``verify`` and ``rollback_after``, and :func:`validate_bond`, one
bond alone (``bond.managed``). The rules across bonds are ``schema.py``'s.
"""

import re

from . import addressing, checks, choices, modes, ports
from .model import Bond, Verify, Vlan
from .names import (
    bond_name_problem,
    bond_name_warning,
    ifname_problem,
    vlan_device,
)
from .options import OPTIONS, SAME_PARAMETER, TABLE, parse_mode
from .values import (
    InvalidValue,
    describe,
    is_int,
    mac_octets,
    parse_decimal,
    parse_ip,
    plain,
    scope_id,
)

VERIFY_KEYS = ("ping", "master", "timeout")
VERIFY_TIMEOUT_RANGE = (1, 300)  # seconds; the default is 5
DEFAULT_VERIFY_TIMEOUT = 5
# Seconds the rollback timer of an activating run waits before it puts the host back
# (unless the run disarms it): 0 turns it off.
ROLLBACK_AFTER_RANGE = (0, 3600)
BOND_KEYS = ("slaves", "macaddr", "vlans", "activate", "verify", "rollback_after",
             *addressing.INTERFACE_KEYS)
VLAN_ID_RANGE = (1, 4094)


def _options(bond_value, mode, path, findings):
    """Parse every given option (TABLE order); return (canonical, failed names)."""
    # TABLE[0] is mode, handled by the caller; bond_value holds no nulls (checks.present).
    return checks.parse_rows(bond_value, TABLE[1:], mode, path, findings)


def _monitor_rules(given, failed, mode, path, findings):
    """miimon vs arp_interval, what each needs, and delays as multiples of miimon."""
    if {"miimon", "arp_interval"} & failed:
        return  # the values the rules compare are unknown
    miimon_given = int(given["miimon"]) if "miimon" in given else None
    miimon = modes.effective_miimon(mode, miimon_given)
    arp_interval = int(given.get("arp_interval", 0))
    monitors = {"miimon": miimon, "arp_interval": arp_interval}
    if miimon and arp_interval:
        findings.error(
            f"{path}:arp_interval",
            f"arp_interval {arp_interval} and miimon {miimon} are both on; the kernel runs "
            "one link monitor: set one of them to 0 or leave it out",
        )
        return
    if miimon_given is None and not arp_interval and mode in modes.ARP_MODES:
        findings.error(f"{path}:miimon", (
            f"missing: without miimon or arp_interval the kernel and initscripts run no link "
            f"monitor in {mode}, NetworkManager runs miimon 100; say which (miimon: 100 is a "
            "good start; miimon: 0 for none, or arp_interval with arp_ip_target)"))
    if arp_interval and "arp_ip_target" not in given and "arp_ip_target" not in failed:
        findings.error(
            f"{path}:arp_interval",
            f"arp_interval {arp_interval} needs arp_ip_target, the addresses the ARP "
            "monitor probes",
        )
    for name, value in given.items():
        option = OPTIONS[name]
        if option.needs and not monitors[option.needs]:
            findings.error(
                f"{path}:{name}",
                f"{name} needs {option.needs} (non-zero); it works only with that link monitor",
            )
        elif option.miimon_multiple and int(value) % miimon:
            origin = "" if miimon_given is not None else f" (the kernel's default in {mode})"
            findings.error(
                f"{path}:{name}",
                f"{name} {value} is not a multiple of miimon {miimon}{origin}; the kernel "
                f"would round it down to {int(value) // miimon * miimon}",
            )
    if not miimon and not arp_interval:
        findings.warn(
            path,
            "no link monitoring (miimon and arp_interval are 0 or unset): the kernel will "
            "not notice a failed slave; miimon: 100 is a good start",
        )


def skipped_arp_target(targets):
    """``(target, the ones before it)`` of the first ARP target initscripts would not set,
    or None: ``install_bonding_driver`` adds each only when ``grep -q <target>`` finds
    nothing in the bond's arp_ip_target file (the targets already set, between blanks),
    and grep reads the target as a regular expression ('.' is any character): 192.0.2.1
    after 192.0.2.10 is never set."""
    for index, target in enumerate(targets):
        if re.search(target, " ".join(targets[:index])):
            return target, targets[:index]
    return None


def _cross_option_rules(given, slaves, slaves_ok, path, findings):
    targets = given["arp_ip_target"].split(",") if "arp_ip_target" in given else []
    skipped = skipped_arp_target(targets)
    if skipped:
        target, before = skipped
        fixed = sorted(targets, key=lambda t: (len(t), t))
        way = (f"list them as {', '.join(fixed)}" if not skipped_arp_target(fixed)
               else "leave one of them out")
        findings.error(f"{path}:arp_ip_target", (
            f"ARP target {target} is found in {' '.join(before)} given before it: "
            "initscripts' ifup then never sets it (grep, with '.' any character), "
            f"NetworkManager and the kernel back-end do; {way}"))
    if "primary" in given and slaves_ok and given["primary"] not in slaves:
        findings.error(
            f"{path}:primary",
            f"primary {given['primary']} is not one of the slaves ({', '.join(slaves) or 'none'})",
        )
    for first, second in SAME_PARAMETER:
        if first in given and second in given and given[first] != given[second]:
            findings.error(
                f"{path}:{second}",
                f"{first} {given[first]} and {second} {given[second]} set the same kernel "
                "parameter; give one, or the same value",
            )
    if "min_links" in given and slaves_ok and int(given["min_links"]) > len(slaves):
        findings.warn(
            path,
            f"min_links {given['min_links']} is more than the {len(slaves)} slaves: "
            "the bond will never have carrier",
        )


def _vlans(value, name, mode, bond_mtu, path, findings):
    vlans = checks.optional_mapping(value, path, findings,
                                    "a mapping of VLAN ids (1-4094) to settings")
    result = {}
    for key, settings in vlans.items():
        vlan_path = checks.key_path(path, key)
        vid = parse_decimal(key)
        low, high = VLAN_ID_RANGE
        if vid is None or not low <= vid <= high:
            findings.error(vlan_path, f"invalid VLAN id {describe(key)}: expected {low}-{high}")
            continue
        if vid in result:
            findings.error(vlan_path, f"VLAN {vid} is given twice")
            continue
        device = vlan_device(name, vid)
        problem = ifname_problem(device)
        if problem:
            findings.error(vlan_path, f"VLAN device name: {problem}")
            continue
        if settings is None:  # `100:` alone in YAML: a VLAN without addresses
            settings = {}
        if checks.mapping(settings, vlan_path, findings, "a mapping of VLAN settings") is None:
            continue
        checks.check_keys(settings, addressing.INTERFACE_KEYS, vlan_path, findings)
        settings = checks.present(settings)
        lower_mtu = bond_mtu or addressing.DEFAULT_MTU
        interface = addressing.parse_interface(settings, vlan_path, findings, lower_mtu)
        if interface["mtu"] is not None and interface["mtu"] > lower_mtu:
            findings.error(
                f"{vlan_path}:mtu",
                f"VLAN mtu {interface['mtu']} is larger than the bond's mtu {lower_mtu}",
            )
        result[vid] = Vlan(vid=vid, device=device, **interface)
    if result and mode == "balance-rr":
        findings.warn(
            path,
            "VLANs over balance-rr are known to misbehave; active-backup is the usual fix",
        )
    return dict(sorted(result.items()))


def parse_choice(key, value, path, findings):
    """``value`` as one of the top-level choices of ``key`` (``choices.CHOICES``), or None
    (an error is recorded)."""
    choice, problem = choices.parse(key, value)
    if problem:
        findings.error(path, problem)
    return choice


def _verify(value, devices, path, findings):
    """``verify: {ping: <address>, master: <bool>, timeout: <seconds>}`` as a model.Verify,
    or None.

    ``devices``: the bond and its VLAN devices, the only scopes a link-local address
    to ping through the bond can have (``fe80::1%bond0``)."""
    if checks.mapping(value, path, findings, "a mapping with ping (an address), master (true: "
                                        "a request to the Salt master) and timeout "
                                        "(seconds)") is None:
        return None
    checks.check_keys(value, VERIFY_KEYS, path, findings)
    master = checks.flag(value, "master", path, findings)
    if master is None and value.get("master") is not None:
        return None  # invalid: said
    master = bool(master)
    address = None
    if value.get("ping") is not None:
        address = _ping_address(value["ping"], devices, f"{path}:ping", findings)
        if address is None:
            return None
    elif not master:
        findings.error(f"{path}:ping", "missing ping: the address the host must reach through "
                                       "the bond (its gateway, its Salt master), or master: "
                                       "true")
        return None
    timeout = DEFAULT_VERIFY_TIMEOUT
    if value.get("timeout") is not None:
        timeout = checks.bounded_int(value["timeout"], VERIFY_TIMEOUT_RANGE, f"{path}:timeout",
                               findings, "timeout (seconds)")
    return None if timeout is None else Verify(ping=address, timeout=timeout, master=master)


def _ping_address(value, devices, path, findings):
    """``verify: ping``'s address as text (with its scope), or None with a finding."""
    try:
        parsed = parse_ip(value)
    except InvalidValue as exc:
        findings.error(path, f"invalid ping: {exc}")
        return None
    address, scope = str(parsed), scope_id(parsed)
    where = " or ".join(f"%{device}" for device in devices)
    if scope is not None and (not parsed.is_link_local or scope not in devices):
        findings.error(path, (
            f"invalid ping {describe(value)}: a scope id names the interface a "
            f"link-local (fe80::) address is reached through, here {where}"))
        return None
    if scope is None and parsed.version == 6 and parsed.is_link_local:
        findings.error(path, (
            f"invalid ping {address}: a link-local address is on every link; say which, "
            f"{address}{where.split(' or ')[0]}"))
        return None
    return address


def parse_rollback_after(mapping, path, findings):
    """``rollback_after`` (seconds, 0: off) of ``mapping``; None when left out or invalid."""
    if mapping.get("rollback_after") is None:
        return None
    return checks.bounded_int(mapping["rollback_after"], ROLLBACK_AFTER_RANGE,
                        f"{path}:rollback_after", findings,
                        "rollback_after (seconds until the rollback timer puts the host "
                        "back unless the run verified; 0: no timer)")


def parse_bond(name, bond_value, path, findings):
    """One bond's normalised settings (partial when there are errors)."""
    problem = bond_name_problem(name) if isinstance(name, str) else (
        f"bond name {describe(name)} is not a string"
    )
    if problem:
        findings.error(path, problem)
        name = str(name)
    elif bond_name_warning(name):
        findings.warn(path, bond_name_warning(name))
    what = "a mapping of bond settings (mode, slaves, ...)"
    if checks.mapping(bond_value, path, findings, what) is None:
        return None
    checks.check_keys(bond_value, (*OPTIONS, *BOND_KEYS), path, findings, word="option")
    bond_value = checks.present(bond_value, keep=("mode", "slaves"))

    mode = None
    if "mode" not in bond_value:
        findings.error(
            path, "missing mode: one of " + ", ".join(modes.MODES) + " (or 0-6)"
        )
    else:
        try:
            mode = parse_mode(bond_value["mode"])
        except InvalidValue as exc:
            findings.error(f"{path}:mode", str(exc))

    slaves, port_settings, slaves_ok = ports.parse_slaves(bond_value, name, mode, path, findings)
    if slaves_ok and not slaves:
        findings.warn(path, "the bond has no slaves")

    given, failed = _options(bond_value, mode, path, findings)
    if mode is not None:
        _monitor_rules(given, failed, mode, path, findings)
    _cross_option_rules(given, slaves, slaves_ok, path, findings)

    macaddr = _macaddr(bond_value.get("macaddr"), f"{path}:macaddr", findings)
    interface = addressing.parse_interface(bond_value, path, findings)
    vlans = _vlans(bond_value.get("vlans"), name, mode, interface["mtu"], f"{path}:vlans", findings)
    activate = None
    if bond_value.get("activate") is not None:
        activate = parse_choice("activate", bond_value["activate"], f"{path}:activate", findings)
    verify = None
    if bond_value.get("verify") is not None:
        devices = [name, *(vlan.device for vlan in vlans.values())]
        verify = _verify(bond_value["verify"], devices, f"{path}:verify", findings)
    rollback_after = parse_rollback_after(bond_value, path, findings)
    return Bond(name=name, mode=mode, options=given, slaves=slaves, ports=port_settings,
                macaddr=macaddr, vlans=vlans,
                activate=activate, verify=verify, rollback_after=rollback_after, **interface)


def _macaddr(value, path, findings):
    """The bond's MAC address, lowercase; None when not given (or invalid: an error)."""
    if value is None:
        return None
    octets = mac_octets(value)
    allowed = "a unicast MAC address such as 02:00:00:00:00:01"
    if octets is None:
        # YAML 1.1 reads an unquoted 12:34:56:00:00:10 as a base-60 number.
        hint = "; quote it in YAML" if is_int(value) else ""
        findings.error(path, f"invalid MAC address {describe(value)}: expected {allowed}{hint}")
    elif octets[0] & 1 or not any(octets):
        kind = "a multicast MAC" if octets[0] & 1 else "all zeros"
        findings.error(path, f"{describe(value)} is {kind}: expected {allowed}")
    else:
        return ":".join(f"{octet:02x}" for octet in octets)
    return None


def warn_unverified(bond, top_activate, path, findings):
    """``verify`` runs after activation only: a warning where the bond is not brought live."""
    if bond is not None and bond.verify is not None and (
            bond.activate or top_activate) == "none":
        findings.warn(f"{path}:verify", "ignored: verify runs after a bond is brought live, "
                                        "and this bond's activate is none (files only); set "
                                        "activate (kernel, ifup or nmcli) to have it run, or "
                                        "drop verify")


def validate_bond(name, bond_value, path=None, warnings=None):
    """One bond's settings as a :class:`~salt_bonding.config.model.Bond`, or UserError.

    For ``bond.managed``: the same rules as :func:`validate` without the
    cross-bond ones. ``path``: where the bond's settings are, for messages
    (default ``bonding:bonds:<name>``). Warnings are appended to ``warnings``
    when a list is given.
    """
    findings = checks.Findings()
    path = path or f"bonding:bonds:{name}"
    bond = parse_bond(name, plain(bond_value), path, findings)
    if bond is not None:
        one_route_one_owner(interfaces_of(bond, path), findings)
    warn_unverified(bond, "none", path, findings)  # bond.managed has no top-level activate
    findings.raise_if_any()
    if warnings is not None:
        warnings.extend(findings.warnings)
    return bond


def interfaces_of(bond, path):
    """``[(pillar path, interface)]`` of a bond at ``path`` and its VLANs."""
    return [(path, bond)] + [(f"{path}:vlans:{vid}", vlan) for vid, vlan in bond.vlans.items()]


def one_route_one_owner(interfaces, findings):
    """One default route per family, and each address on one interface: initscripts
    replace the default route with each interface they bring up (the last wins, as with
    the kernel back-end, whose verification then fails) while NetworkManager keeps one per
    interface; initscripts refuse an address another interface holds (arping -D) where the
    kernel and NetworkManager take it twice."""
    first = {}
    for where, interface in interfaces:
        for key in ("gateway", "ipv6_defaultgw"):
            if getattr(interface, key) is None:
                continue
            if key in first:
                findings.error(f"{where}:{key}", (
                    f"a second default route ({first[key]} has one): initscripts and the "
                    "kernel back-end keep only the last one brought up, NetworkManager both; "
                    "give one gateway per family"))
            else:
                first[key] = where
        addresses = ([interface.ipaddr] if interface.ipaddr else []) + [
            text.split("/")[0] for text in interface.ipv6addr]
        for address in addresses:
            holder = first.setdefault(("address", address), where)
            if holder != where:
                findings.error(where, (
                    f"address {address} is {holder}'s too: initscripts refuse an address "
                    "another interface holds (arping -D), the kernel and NetworkManager take "
                    "it twice; give each interface its own"))
