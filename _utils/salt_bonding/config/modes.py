"""The bonding modes and the facts about them that several stages need.

From ``drivers/net/bonding/bond_main.c`` / ``bonding.h``: one definition per
mode set, used by validation, status reading, health and comparison alike.
"""

# Kernel mode names, indexed by their numbers (BOND_MODE_ROUNDROBIN = 0 ...).
MODES = (
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
)
# bond_mode_uses_arp(): the ARP monitor is unsupported in 802.3ad, tlb and alb.
ARP_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast")
# bond_uses_primary(): one slave is active at a time, and `primary` chooses it.
ACTIVE_SLAVE_MODES = ("active-backup", "balance-tlb", "balance-alb")
LACP_MODES = ("802.3ad",)
# In the modes without ARP monitoring the kernel turns miimon on by itself
# (BOND_DEFAULT_MIIMON) when the mode is set and miimon is 0.
NON_ARP_MIIMON_DEFAULT = 100

# The mode as /proc/net/bonding/<bond> words it (bond_mode_name()) -> kernel name.
PROCFS_MODE_NAMES = {
    "load balancing (round-robin)": "balance-rr",
    "fault-tolerance (active-backup)": "active-backup",
    "load balancing (xor)": "balance-xor",
    "fault-tolerance (broadcast)": "broadcast",
    "IEEE 802.3ad Dynamic link aggregation": "802.3ad",
    "transmit load balancing": "balance-tlb",
    "adaptive load balancing": "balance-alb",
}


def mode_number(mode):
    """The kernel's number of a mode name."""
    return MODES.index(mode)


def effective_miimon(mode, miimon):
    """miimon as the kernel will run it: ``miimon`` is the given int or None."""
    if miimon is not None:
        return miimon
    return 0 if mode in ARP_MODES else NON_ARP_MIIMON_DEFAULT
