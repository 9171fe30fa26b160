"""Activation on netplan hosts: refused, with the way out (``format: netplan``).

netplan hands the bonds to systemd-networkd, which owns them while it runs: the kernel
back-end would change them behind its back (networkd puts its own settings back when it
reconfigures), initscripts and NetworkManager do not read netplan files. The one tool
that brings netplan files live is ``netplan apply``, and it is not confined to the
changed bonds: it regenerates and reloads the whole network configuration of the host,
restarting systemd-networkd and replugging the devices whose configuration changed, so
neither the run's lifelines check nor putting one bond back after a failed verification
can hold (and no networkd runs where the tests run, to prove it). So every ``activate``
but ``none`` is refused for netplan files, naming the way out: the files (``activate:
none``), then ``netplan generate`` and ``netplan apply`` when the host can take it, or
ifupdown files where ifupdown is installed (``format: ifupdown``, ``activate: ifup``).
"""

from .base import Activator, where


class NetplanRefused(Activator):
    """Stands for back-end ``name`` where the files are netplan's: refuses every bond."""

    def __init__(self, name):
        self.name = name

    def refusals(self, config, bonds, choice, path):
        return [(where(config, name, path), (
            f"{self.name}, but netplan brings {name} up on this minion ({choice.describe()}), "
            "and only netplan apply brings netplan files live: it reconfigures the whole "
            "host, not this bond alone, and cannot be rolled back bond by bond, so this "
            "module does not run it (use activate: none, then netplan generate and netplan "
            "apply when the host can take it; or format: ifupdown with activate: ifup where "
            "ifupdown is installed)")) for name in bonds]

    def plan_one(self, name, desired, before):
        raise AssertionError("refused before anything is planned")  # pragma: no cover
