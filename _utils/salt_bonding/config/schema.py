"""Validate the whole bonding pillar before anything is written.

:func:`validate` returns a :class:`~salt_bonding.config.model.Config` or raises one
:class:`~salt_bonding.errors.UserError` listing every problem, each with its
pillar path (``bonding:bonds:bond0:miimon``), the bad value and what is allowed.
Warnings (configurations the kernel takes but that are known to bite) come
back in the result, never as errors.

Decisions worth knowing:
- ``mode`` and ``slaves`` are required; an empty ``slaves`` list is allowed
  (the kernel creates a bond without slaves), with a warning.
- Neither miimon nor arp_interval on is a warning, not an error: the kernel
  accepts it but then never notices a failed slave. In 802.3ad, balance-tlb
  and balance-alb the kernel turns miimon on (100 ms) by itself when unset.
- A key set to null is unset (pillar merging cannot delete keys), except the
  required mode and slaves.
- Removing every bond takes an explicit ``bonds: {}``. A missing pillar, a
  missing ``bonds`` key (a minion that matches no host entry and got only
  the defaults) and ``bonds:`` left null (every bond commented out) are
  errors, so that no accident ever removes a host's bonds.
- One pillar, one network (README, "One pillar, one network"): what one
  reader of the files (initscripts, NetworkManager) or the kernel back-end
  would take differently from another is refused, not warned about: an
  address without its prefix, a gateway off the link, scope ids, DNS of a
  family the interface has no address of, a link monitor left to each
  reader's default, two default routes, an address twice.
  tests/functional/test_one_meaning.py holds every accepted pillar to it.

The walk in parts: this module the top level and the rules across bonds;
``bond_settings.py`` one bond (its options, slaves, VLANs, verify; :func:`validate_bond`
for ``bond.managed``); ``addressing.py`` an interface's IP settings; ``checks.py`` the
findings and the checks they all share.
"""

from . import bond_settings, checks, choices, ports
from .bond_settings import validate_bond
from .model import Config
from .names import vlan_parent
from .options import module_params
from .values import describe, parse_flag, plain

__all__ = ["validate", "validate_bond"]

TOP_KEYS = ("format", "networkmanager", "modprobe_options", "activate", "allow_cutoff",
            "rollback_after", "bonds")
REMOVE_ALL_HINT = "to remove every bond this module manages on purpose, set bonds: {}"


def _cross_bond_rules(bonds, bonds_value, path, findings):
    """A slave in one bond only; no slave that is a bond or a bond's VLAN device."""
    owner = {}
    vlan_devices = {
        vlan.device: name for name, bond in bonds.items() for vlan in bond.vlans.values()
    }
    for name, bond in bonds.items():
        for slave in bond.slaves:
            # Its index in the pillar's list (invalid entries before it were dropped), or
            # its key in the pillar's mapping.
            slave_path = ports.slave_path(f"{path}:{name}", bonds_value[name]["slaves"], slave)
            if slave in bonds:
                findings.error(slave_path, f"slave {slave} is itself a bond in {path}")
            elif slave in vlan_devices:
                findings.error(
                    slave_path, f"slave {slave} is a VLAN device of bond {vlan_devices[slave]}"
                )
            elif slave in owner:
                findings.error(
                    slave_path,
                    f"slave {slave} is already a slave of {owner[slave]}; a slave belongs to "
                    "one bond only",
                )
            else:
                owner[slave] = name
    # A VLAN on a card that one of these bonds enslaves carries nothing: the card's
    # frames go to the bond.
    for name, bond in bonds.items():
        for slave in bond.slaves:
            parent = vlan_parent(slave)
            if slave in vlan_devices or slave in bonds:
                continue  # said above
            if parent in owner or parent in bonds:
                whose = f"a slave of bond {owner[parent]}" if parent in owner else "a bond"
                findings.error(
                    ports.slave_path(f"{path}:{name}", bonds_value[name]["slaves"], slave),
                    f"slave {slave} is a VLAN on {parent}, which is {whose} here; a VLAN "
                    "on an enslaved card carries no traffic (put the VLAN on the bond: vlans)",
                )


def _modprobe_warnings(bonds, path, findings):
    if len(bonds) > 1:
        findings.warn(
            f"{path}:modprobe_options",
            f"{len(bonds)} bonds: module options apply to every bond the module creates, "
            "so the first bond loaded sets them for all",
        )
    for name, bond in bonds.items():
        _, left_out = module_params(bond.options)
        if left_out:
            findings.warn(
                f"{path}:bonds:{name}",
                f"not bonding module parameters, left out of the modprobe options: "
                f"{', '.join(left_out)} (they stay in BONDING_OPTS)",
            )


def _no_accidental_removal(top, path, findings):
    """``bonds`` must be given: only ``bonds: {}`` says "no bonds on this host"."""
    if "bonds" not in top:
        findings.error(
            f"{path}:bonds",
            "missing: this minion's pillar has no bonds (does its minion id match a host "
            f"entry in the pillar top file?); {REMOVE_ALL_HINT}",
        )
    elif top["bonds"] is None:
        findings.error(
            f"{path}:bonds",
            f"is null (were all its bonds commented out?); {REMOVE_ALL_HINT}",
        )


def _top_flag(top, key, path, findings, meaning):
    """A top-level true/false key (false when left out); a finding naming it when it is
    something else."""
    value = parse_flag(top.get(key, False))
    if value is None:
        findings.error(f"{path}:{key}", f"invalid value {describe(top[key])}: expected true "
                                        f"or false {meaning}")
        return False
    return value


def validate(pillar_value, pillar_key="bonding"):
    """The whole pillar value as a :class:`~salt_bonding.config.model.Config`, or one UserError.

    ``bonds`` maps each bond name (sorted) to a :class:`~salt_bonding.config.model.Bond`;
    the warnings are in ``warnings``.
    """
    findings = checks.Findings()
    path = pillar_key
    pillar_value = plain(pillar_value)  # Salt 3008's masked pillar, as plain data
    if pillar_value is None:
        findings.error(
            path,
            "no pillar data for this minion (does its minion id match a host entry in the "
            f"pillar top file?); expected a mapping with 'bonds' ({REMOVE_ALL_HINT})",
        )
        findings.raise_if_any()
    top = checks.mapping(pillar_value, path, findings, "a mapping with networkmanager, "
                   "modprobe_options and bonds")
    if top is None:
        findings.raise_if_any()
    checks.check_keys(top, TOP_KEYS, path, findings)
    _no_accidental_removal(top, path, findings)
    top = checks.present(top)

    # Left out: format auto, activate none; networkmanager None (platform.choose decides).
    chosen = {key: bond_settings.parse_choice(key, top[key], f"{path}:{key}", findings)
              if key in top else None for key in choices.CHOICES}

    modprobe_options = _top_flag(top, "modprobe_options", path, findings,
                                 "(or yes/no, on/off, 1/0)")
    allow_cutoff = _top_flag(top, "allow_cutoff", path, findings, (
        "(true: this run may remove or re-address what the host is reached through now)"))
    rollback_after = bond_settings.parse_rollback_after(top, path, findings)

    bonds = {}
    bonds_value = top.get("bonds", {})
    bonds_path = f"{path}:bonds"
    what = "a mapping of bond names to settings"
    if checks.mapping(bonds_value, bonds_path, findings, what) is not None:
        names = [name for name in bonds_value if isinstance(name, str)]
        for name in bonds_value:
            if not isinstance(name, str):
                findings.error(
                    checks.key_path(bonds_path, name), f"bond name {describe(name)} is not a string"
                )
        for name in sorted(names):
            bond_path = f"{bonds_path}:{name}"
            bond = bond_settings.parse_bond(name, bonds_value[name], bond_path, findings)
            bond_settings.warn_unverified(bond, chosen["activate"] or "none", bond_path, findings)
            if bond is not None:
                bonds[name] = bond
        _cross_bond_rules(bonds, bonds_value, bonds_path, findings)
        bond_settings.one_route_one_owner(
            [pair for name, bond in bonds.items()
             for pair in bond_settings.interfaces_of(bond, f"{bonds_path}:{name}")], findings)
    if modprobe_options:
        _modprobe_warnings(bonds, path, findings)

    findings.raise_if_any()
    return Config(format=chosen["format"] or "auto", networkmanager=chosen["networkmanager"],
                  modprobe_options=modprobe_options, activate=chosen["activate"] or "none",
                  allow_cutoff=allow_cutoff, rollback_after=rollback_after, bonds=bonds,
                  warnings=findings.warnings)
