"""The bonding option table against the real 6.1 driver, in one user-mode-linux boot.

Every case is generated from ``salt_bonding.config.options.TABLE``:

- applies: for every mode and every option the table allows in it, each
  non-default value (enums: every other name; ints: one step from the
  default). The pillar goes through ``salt_bonding.config.schema.validate`` and
  the ifcfg renderer; the ``BONDING_OPTS`` of the rendered file is
  written to sysfs in the order of initscripts' ``install_bonding_driver``
  (mode and miimon first, then the rest, ``arp_ip_target`` split into
  ``+address`` writes, the bond up, the slaves enslaved, ``primary`` last, as
  ``ifup-eth`` does). Every write must succeed and sysfs must then hold the
  canonical value for every option of the bond. Enums are also written by
  their number: the kernel must read that back as the name our table gives it.
- outside: the options the table refuses in a mode, written raw after their
  monitor. The schema must refuse them (whatever the kernel does), and what
  the kernel does is recorded in ``KERNEL_TAKES_OUTSIDE_TABLE``.
- edges: each int option's minimum and maximum (schema and kernel accept and
  hold them) and maximum + 1 and minimum - 1 (both refuse).
- netlink: what the kernel takes over netlink only (``BondOption.netlink_only``:
  ns_ip6_target) is set by ``netlink.set_bond_option`` (``ip link set <bond> type bond
  <option> <value>``, as activation makes it), in the cases above and in each of
  its modes, where ``ip -d`` must then show it (the 6.1 driver has no sysfs file
  for it); and written to sysfs as initscripts would, it must fail
  (``initscripts``: why the ifcfg files for network-scripts refuse it).

All writes run in one ``run`` step: ``DRIVER`` (standard library only) does
them inside the kernel and prints JSON, with the kernel's log lines per write.
"""

import base64
import json
import sys
import zlib
from pathlib import Path

import pytest
from salt_bonding import errors
from salt_bonding.config import modes, schema
from salt_bonding.config.modes import MODES
from salt_bonding.config.options import OPTIONS, SAME_PARAMETER, TABLE
from salt_bonding.render import RENDERERS, shell

pytestmark = pytest.mark.kernel

UTILS = str(Path(__file__).resolve().parents[2] / "_utils")  # netlink.set_bond_option, for "ip" ops

BOND = "tb0"
STATE = "bond.reconciled:bonding"
SLAVES = ("d0", "d1")
TARGETS = ["192.0.2.1", "192.0.2.2"]
# Non-default values of the kinds that are not numbers.
OTHER_VALUES = {
    "ipv4_list": TARGETS,
    "ipv6_list": ["2001:db8::1", "fe80::2"],
    "ifname": SLAVES[1],  # primary: the second slave, so it is not active by chance
    "mac": "02:00:00:00:00:01",
}
# What validation requires beside an option (pillar values): its monitor, and
# ARP monitoring with its targets. ``miimon`` is 1 at the int edges, so that
# the delays stored as multiples of it can reach their maximum.
MIIMON = 100
ARP_ON = {"arp_interval": 1000, "arp_ip_target": ["192.0.2.9"]}


def companions(option, value, miimon=MIIMON):
    """The other pillar keys ``option: value`` needs to be valid."""
    monitors = {"miimon": {"miimon": miimon}, "arp_interval": ARP_ON}
    if option.name in monitors and str(value) == "0":
        return {}  # a monitor turned off needs nothing
    extra = dict(monitors.get(option.needs) or monitors.get(option.name) or {})
    if option.name == "arp_ip_target":
        extra = dict(ARP_ON)
    extra.pop(option.name, None)
    return extra


def non_default_values(option):
    """The pillar values to try for ``option``: every one that is not the default."""
    if option.kind in ("enum", "switch"):
        return [name if option.kind == "enum" else number
                for name, number in option.values if option.parse(name) != option.default]
    if option.kind == "int":
        step = MIIMON if option.miimon_multiple else 1
        default = int(option.default)
        up = default + step
        return [up if up <= option.maximum else default - step]
    return [OTHER_VALUES[option.kind]]


def ifup_ops(bonding_opts, slaves):
    """The sysfs writes of initscripts for one bond, in their order.

    ``install_bonding_driver``: each word of BONDING_OPTS is cut into
    ``${arg%%=*}`` and ``${arg##*=}``; mode and miimon are written first, then
    the rest except primary, arp_ip_target split on commas as ``+address``.
    ``ifup-eth`` then brings the bond up, enslaves (slave down, ``+slave``) and
    writes primary.
    """
    words = [(word.split("=")[0], word.split("=")[-1]) for word in bonding_opts.split()]
    ops = [["write", key, value] for key, value in words if key in ("mode", "miimon")]
    for key, value in words:
        if key in ("mode", "miimon", "primary"):
            continue
        if key == "arp_ip_target":
            ops += [["write", key, f"+{target}"] for target in value.split(",")]
        else:
            ops.append(["write", key, value])
    ops.append(["up"])
    ops += [["enslave", slave] for slave in slaves]
    ops += [["write", key, value] for key, value in words if key == "primary"]
    return ops


def over_netlink(ops):
    """``ops`` with each write of an option the kernel takes over netlink only made as
    ``ip link set <bond> type bond <option> <value>`` makes it."""
    return [["ip", *op[1:]] if op[0] == "write" and op[1] in OPTIONS
            and OPTIONS[op[1]].netlink_only else op for op in ops]


def pillar_bond(mode, option, value, miimon=MIIMON):
    bond = {"mode": mode, "slaves": list(SLAVES), **companions(option, value, miimon),
            option.name: value}
    if mode in modes.ARP_MODES and "miimon" not in bond and not bond.get("arp_interval"):
        bond["miimon"] = 0  # the kernel's own there, said: validation asks which monitor
    return bond


def rendered(bond):
    """(normalised bond, BONDING_OPTS as written in ifcfg-<bond>) for one pillar bond."""
    config = schema.validate({"bonds": {BOND: bond}})
    text = RENDERERS["ifcfg"].render_all(config, STATE)[f"ifcfg-{BOND}"]
    return config.bonds[BOND], shell.parse(text)["BONDING_OPTS"]


def schema_error(bond):
    """The UserError validation raises for ``bond``, or None."""
    try:
        schema.validate({"bonds": {BOND: bond}})
    except errors.UserError as exc:
        return exc
    return None


def read_names(options):
    names = {"mode", *options}
    for group in SAME_PARAMETER:
        if names & set(group):
            names |= set(group)
    return sorted(names)


def raw_words(mode, option, text, miimon=MIIMON, monitor=True):
    """BONDING_OPTS words for a bond the schema may refuse: mode, the monitor, the option."""
    words = [f"mode={mode}"]
    extra = companions(option, text, miimon) if monitor else {}
    for key, value in extra.items():
        value = ",".join(value) if isinstance(value, list) else value
        words.append(f"{key}={value}")
    return " ".join([*words, f"{option.name}={text}"])


def raw_case(mode, option, text, pillar, **kwargs):
    opts = raw_words(mode, option, text, **kwargs)
    return {"pillar": pillar, "mode": mode, "option": option.name, "text": text,
            "bonding_opts": opts, "ops": over_netlink(ifup_ops(opts, SLAVES)),
            "read": read_names([option.name])}


def valid_case(bond):
    normalised, opts = rendered(bond)
    return {"pillar": bond, "bonding_opts": opts,
            "expect": {"mode": normalised.mode, **normalised.options},
            "ops": ifup_ops(opts, SLAVES), "read": read_names(normalised.options)}


def build_applies_and_outside():
    """Valid cases (by name and by number), cases outside the modes; and for what the kernel
    takes over netlink only, the same valid cases made that way (``netlink``) and as
    initscripts make them (``initscripts``)."""
    applies, numeric, outside, netlink, initscripts = {}, {}, {}, {}, {}
    for mode in MODES:
        for option in TABLE[1:]:
            for value in non_default_values(option):
                bond = pillar_bond(mode, option, value)
                text = option.parse(value)
                case_id = f"{mode}-{option.name}={text}"
                if mode not in option.modes:
                    outside[case_id] = raw_case(mode, option, text, bond)
                    continue
                if option.netlink_only:
                    initscripts[case_id] = dict(valid_case(bond), option=option.name)
                    netlink[case_id] = valid_case(bond)
                    netlink[case_id]["ops"] = over_netlink(netlink[case_id]["ops"])
                    continue
                applies[case_id] = valid_case(bond)
                if option.kind == "enum":  # the same, written by its number
                    number = dict(option.values)[text]
                    case = valid_case(dict(bond, **{option.name: number}))
                    case["bonding_opts"] = case["bonding_opts"].replace(
                        f"{option.name}={text}", f"{option.name}={number}")
                    case["ops"] = ifup_ops(case["bonding_opts"], SLAVES)
                    numeric[f"{case_id}-as-{number}"] = case
    return applies, numeric, outside, netlink, initscripts


def build_edges():
    """min and max (valid), max+1 and min-1 (invalid) of every int option, in its first mode."""
    edges = {}
    for option in TABLE:
        if option.kind != "int":
            continue
        mode = option.modes[0]
        values = {"min": option.minimum, "max": option.maximum, "max+1": option.maximum + 1}
        if option.minimum > 0:
            values["min-1"] = option.minimum - 1
        for edge, number in values.items():
            case = raw_case(mode, option, str(number), pillar_bond(mode, option, number, 1),
                            miimon=1)
            edges[f"{option.name}-{edge}"] = dict(case, valid=edge in ("min", "max"))
    return edges


def build_unmonitored():
    """Options that need a link monitor, written with that monitor off (its default)."""
    cases = {}
    for option in TABLE:
        if not option.needs:
            continue
        mode = option.modes[0]
        value = non_default_values(option)[0]
        text = option.parse(value)
        pillar = {"mode": mode, "slaves": list(SLAVES), option.name: value}
        cases[f"{option.name}={text}"] = raw_case(mode, option, text, pillar, monitor=False)
    return cases


def build_defaults():
    """A bond of each mode with nothing but its mode: the kernel's defaults."""
    cases = {}
    for mode in MODES:
        opts = f"mode={mode}"
        cases[mode] = {"mode": mode, "bonding_opts": opts, "ops": ifup_ops(opts, SLAVES),
                       "read": [option.name for option in TABLE]}
    return cases


APPLIES, NUMERIC, OUTSIDE, NETLINK, INITSCRIPTS = build_applies_and_outside()
EDGES = build_edges()
UNMONITORED = build_unmonitored()
DEFAULTS = build_defaults()


def words_case(bonding_opts, pillar, read):
    return {"pillar": pillar, "bonding_opts": bonding_opts,
            "ops": over_netlink(ifup_ops(bonding_opts, SLAVES)), "read": read}


# Combinations the schema refuses, for what the kernel would make of them.
CROSS = {
    # A delay that is not a multiple of miimon: the kernel rounds it down.
    "updelay-not-a-multiple": words_case(
        "mode=active-backup miimon=100 updelay=150",
        {"mode": "active-backup", "slaves": list(SLAVES), "miimon": 100, "updelay": 150},
        ["updelay"]),
    # Both monitors: the ARP monitor written after miimon turns MII monitoring off.
    "arp-after-miimon": words_case(
        "mode=active-backup miimon=100 arp_interval=1000 arp_ip_target=192.0.2.9",
        {"mode": "active-backup", "slaves": list(SLAVES), "miimon": 100,
         "arp_interval": 1000, "arp_ip_target": ["192.0.2.9"]},
        ["miimon", "arp_interval", "arp_ip_target"]),
}

def live_value(option):
    """A value for ``option`` that differs from what ``live_base`` set up."""
    if option.name == "mode":
        return "active-backup"  # the base bond is balance-rr
    if option.name == "arp_ip_target":
        return "+192.0.2.2"
    value = non_default_values(option)[0]
    return ",".join(value) if isinstance(value, list) else str(option.parse(value))


def live_base(option):
    """BONDING_OPTS of the running bond an option is changed on: its first mode and the
    monitor it needs (the option itself left at its default)."""
    mode = "balance-rr" if option.name == "mode" else option.modes[0]
    words = [f"mode={mode}"]
    for key, value in companions(option, live_value(option)).items():
        if key != option.name:
            words.append(f"{key}={','.join(value) if isinstance(value, list) else value}")
    return " ".join(words)


def build_live():
    """Each option changed on a bond that runs: up with its slaves (``running``); down with
    its slaves (``down``); up without slaves (``empty``); down without slaves
    (``down-empty``). The last op is the change."""
    cases = {}
    for option in TABLE:
        base = live_base(option)
        (change,) = over_netlink([["write", option.name, live_value(option)]])
        running = over_netlink(ifup_ops(base, SLAVES))
        empty = over_netlink(ifup_ops(base, ()))
        for state, ops in (("running", running), ("down", [*running, ["down"]]),
                           ("empty", empty), ("down-empty", [*empty, ["down"]])):
            cases[f"{option.name}-{state}"] = {"ops": [*ops, change], "read": [option.name]}
    return cases


LIVE = build_live()

GROUPS = {"applies": APPLIES, "numeric": NUMERIC, "outside": OUTSIDE, "edges": EDGES,
          "unmonitored": UNMONITORED, "defaults": DEFAULTS, "cross": CROSS, "live": LIVE,
          "netlink": NETLINK, "initscripts": INITSCRIPTS}


def _all_but(*modes):
    return [mode for mode in MODES if mode not in modes]


# Options the table refuses in a mode but the 6.1 kernel takes there without
# an error (observed: every write returned success and sysfs holds the value).
# The table is stricter on purpose: bonding.rst says they have no effect there.
# Everywhere else outside the table the kernel answers EACCES ("mode dependency
# failed, not supported in mode ...").
KERNEL_TAKES_OUTSIDE_TABLE = {
    "ad_select": _all_but("802.3ad"),
    "arp_all_targets": _all_but("active-backup"),
    "arp_ip_target": ["802.3ad", "balance-tlb", "balance-alb"],
    "ns_ip6_target": ["802.3ad", "balance-tlb", "balance-alb"],
    "fail_over_mac": _all_but("active-backup"),
    "lp_interval": _all_but("balance-tlb", "balance-alb"),
    "min_links": _all_but("802.3ad"),
    "num_grat_arp": _all_but("active-backup"),
    "num_unsol_na": _all_but("active-backup"),
    "peer_notif_delay": _all_but("active-backup"),
    "primary_reselect": ["balance-rr", "balance-xor", "broadcast", "802.3ad"],
    "resend_igmp": ["balance-xor", "broadcast", "802.3ad"],
    "xmit_hash_policy": ["balance-rr", "active-backup", "broadcast"],
}

# Runs inside the kernel: builds tb0 per case from dummies, performs the ops,
# reads sysfs back, removes tb0. Standard library only, but salt_bonding.host.netlink for the
# "ip" ops (what the kernel takes over netlink only).
DRIVER = r'''
import base64, errno, fcntl, json, os, socket, struct, subprocess, sys, zlib

NET = "/sys/class/net"
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def set_up(name, up):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("16sH22x", name.encode(), 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, req))[1]
        flags = flags | IFF_UP if up else flags & ~IFF_UP
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", name.encode(), flags))


def write(path, value):
    """What `echo value > path` does, with the errno when the kernel refuses."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as exc:
        return {"ok": False, "errno": errno.errorcode.get(exc.errno), "error": exc.strerror}
    try:
        os.write(fd, (value + "\n").encode())
        return {"ok": True}
    except OSError as exc:
        return {"ok": False, "errno": errno.errorcode.get(exc.errno), "error": exc.strerror}
    finally:
        os.close(fd)


def open_kmsg():
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(fd, 0, os.SEEK_END)
        return fd
    except OSError:
        return None


def drain(fd):
    lines = []
    while fd is not None:
        try:
            record = os.read(fd, 8192).decode(errors="replace")
        except BlockingIOError:
            break
        except OSError:  # EPIPE: records were overwritten
            continue
        lines.append(record.split(";", 1)[-1].split("\n", 1)[0])
    return lines


def main(packed):
    global netlink
    plan = json.loads(zlib.decompress(base64.b64decode(packed)))
    sys.path.insert(0, plan["utils"])
    from salt_bonding.host import netlink
    bond = plan["bond"]
    for slave in plan["slaves"]:
        subprocess.run(["ip", "link", "add", slave, "type", "dummy"], check=True)
    kmsg = open_kmsg()
    results = {"kmsg": kmsg is not None, "cases": {}}
    for case_id, case in plan["cases"].items():
        created = write(f"{NET}/bonding_masters", f"+{bond}")
        ops = []
        for op in case["ops"]:
            if op[0] == "write":
                result = write(f"{NET}/{bond}/bonding/{op[1]}", op[2])
            elif op[0] == "ip":  # ip link set <bond> type bond <option> <value>
                try:
                    netlink.set_bond_option(bond, op[1], op[2])
                    result = {"ok": True}
                except OSError as exc:
                    result = {"ok": False, "errno": errno.errorcode.get(exc.errno),
                              "error": exc.strerror}
            elif op[0] in ("up", "down"):
                set_up(bond, op[0] == "up")
                result = {"ok": True}
            else:  # enslave, as ifup-eth: the slave down, then +slave
                set_up(op[1], False)
                result = write(f"{NET}/{bond}/bonding/slaves", f"+{op[1]}")
            result["op"] = op
            result["kmsg"] = drain(kmsg)
            ops.append(result)
        read = {}
        for name in case["read"]:
            if name in plan["netlink_only"]:  # no sysfs file: as ip -d shows it
                shown = subprocess.run(["ip", "-d", "-j", "link", "show", bond], check=True,
                                       capture_output=True, text=True).stdout
                data = json.loads(shown)[0]["linkinfo"]["info_data"]
                read[name] = " ".join(data.get(name) or [])
                continue
            try:
                with open(f"{NET}/{bond}/bonding/{name}") as f:
                    read[name] = f.read().strip()
            except OSError as exc:
                read[name] = f"<{exc.strerror}>"
        removed = write(f"{NET}/bonding_masters", f"-{bond}")
        drain(kmsg)
        results["cases"][case_id] = {"created": created, "ops": ops, "read": read,
                                     "removed": removed}
    print(json.dumps(results))


main(sys.argv[1])
'''


@pytest.fixture(scope="module")
def kernel(uml):
    """{group: {case id: what the kernel did}}, all from one boot."""
    cases = {f"{group}/{case_id}": {"ops": case["ops"], "read": case["read"]}
             for group, group_cases in GROUPS.items() for case_id, case in group_cases.items()}
    # The plan travels in argv (only the boot's own directory is reachable inside).
    plan = json.dumps({"bond": BOND, "slaves": list(SLAVES), "cases": cases, "utils": UTILS,
                       "netlink_only": [o.name for o in TABLE if o.netlink_only]})
    plan = base64.b64encode(zlib.compress(plan.encode())).decode()
    run = uml.run([{"name": "options", "steps": [
        {"id": "driver", "run": [sys.executable, "-c", DRIVER, plan]},
    ]}])
    step = run["options"].step("driver")
    assert step["rc"] == 0, step.get("stderr")
    results = json.loads(step["stdout"])
    by_group = {group: {} for group in GROUPS}
    for key, result in results["cases"].items():
        group, case_id = key.split("/", 1)
        by_group[group][case_id] = result
    by_group["kmsg"] = results["kmsg"]
    return by_group


def describe_ops(result):
    return "\n".join(
        f"  {' '.join(map(str, op['op']))}: "
        + ("ok" if op["ok"] else f"{op['errno']} ({op['error']})")
        + "".join(f"\n      kernel: {line}" for line in op["kmsg"])
        for op in result["ops"]
    )


def kernel_value(option, text):
    """sysfs text -> our canonical form, checking enum numbers against the table."""
    if option.kind == "enum":
        name, number = text.split()
        assert dict(option.values).get(name) == int(number), (
            f"{option.name}: the kernel shows {text!r}; the table says {name} is "
            f"{dict(option.values).get(name)}")
    return option.from_sysfs(text)


def failed_writes(result):
    bad = [op for op in result["ops"] if not op["ok"]]
    return bad + [r for r in (result["created"], result["removed"]) if not r["ok"]]


def check_held(case, result):
    assert not failed_writes(result), (
        f"BONDING_OPTS={case['bonding_opts']!r}: the kernel refused a write\n"
        + describe_ops(result))
    held = {name: kernel_value(OPTIONS[name], result["read"][name]) for name in case["expect"]}
    assert held == case["expect"], (
        f"BONDING_OPTS={case['bonding_opts']!r}\n" + describe_ops(result))
    for group in SAME_PARAMETER:
        shown = {result["read"][name] for name in group if name in result["read"]}
        assert len(shown) <= 1, f"{group} differ in sysfs: {result['read']}"


@pytest.mark.parametrize("case_id", sorted(APPLIES))
def test_option_holds_in_its_modes(kernel, case_id):
    check_held(APPLIES[case_id], kernel["applies"][case_id])


@pytest.mark.parametrize("case_id", sorted(NETLINK))
def test_what_the_kernel_takes_over_netlink_holds_in_its_modes(kernel, case_id):
    check_held(NETLINK[case_id], kernel["netlink"][case_id])


@pytest.mark.parametrize("case_id", sorted(INITSCRIPTS))
def test_initscripts_lose_what_the_kernel_takes_over_netlink_only(kernel, case_id):
    """Why ifcfg files for network-scripts refuse it: the 6.1 driver has no sysfs file for
    it, ifup-eth's write fails and the bond comes up without it."""
    case, result = INITSCRIPTS[case_id], kernel["initscripts"][case_id]
    op = option_write(case, result)
    assert not op["ok"] and op["errno"] == "ENOENT", describe_ops(result)
    assert result["read"][case["option"]] == "", result["read"]
    assert [o for o in failed_writes(result) if o is not op] == [], describe_ops(result)


@pytest.mark.parametrize("case_id", sorted(NUMERIC))
def test_enum_number_is_the_tables_name(kernel, case_id):
    check_held(NUMERIC[case_id], kernel["numeric"][case_id])


def option_write(case, result):
    """The result of writing the option under test (the last write of that key)."""
    writes = [op for op in result["ops"]
              if op["op"][0] in ("write", "ip") and op["op"][1] == case["option"]]
    return writes[-1]


@pytest.mark.parametrize("case_id", sorted(OUTSIDE))
def test_schema_refuses_options_outside_their_modes(kernel, case_id):
    case = OUTSIDE[case_id]
    error = schema_error(case["pillar"])
    op = option_write(case, kernel["outside"][case_id])
    what = "refused it" if not op["ok"] else "accepted it"
    assert error is not None, f"the schema takes {case_id}; the kernel {what}"
    assert f"{BOND}:{case['option']}" in str(error), str(error)


def test_kernel_outside_the_table(kernel):
    """The kernel's own answer for every option the table refuses in a mode.

    Where it refuses, it says EACCES ("mode dependency failed"); where it takes
    the write, sysfs holds the value and ``KERNEL_TAKES_OUTSIDE_TABLE`` lists it.
    A kernel that changes its mind fails here.
    """
    taken, answers = {}, {}
    for case_id, case in OUTSIDE.items():
        result = kernel["outside"][case_id]
        op = option_write(case, result)
        answers.setdefault((case["option"], case["mode"]), set()).add(op["ok"])
        if op["ok"]:
            held = kernel_value(OPTIONS[case["option"]], result["read"][case["option"]])
            assert held == case["text"], (case_id, result["read"])
        else:
            assert op["errno"] == "EACCES", (case_id, op)
    assert {key for key, oks in answers.items() if len(oks) > 1} == set()  # per option and mode
    for (option, mode), oks in answers.items():
        if oks == {True}:
            taken.setdefault(option, []).append(mode)
    assert {option: sorted(modes, key=MODES.index) for option, modes in taken.items()} == (
        KERNEL_TAKES_OUTSIDE_TABLE)


@pytest.mark.parametrize("case_id", sorted(EDGES))
def test_int_range_edges(kernel, case_id):
    case = EDGES[case_id]
    option = OPTIONS[case["option"]]
    result = kernel["edges"][case_id]
    op = option_write(case, result)
    error = schema_error(case["pillar"])
    if case["valid"]:
        assert error is None, str(error)
        assert not failed_writes(result), describe_ops(result)
        assert kernel_value(option, result["read"][option.name]) == case["text"]
    else:
        assert error is not None and f"{BOND}:{option.name}" in str(error)
        assert not op["ok"], (f"the kernel takes {option.name}={case['text']} "
                              "that the table refuses\n" + describe_ops(result))
        assert op["errno"] == "EINVAL", describe_ops(result)


# Options the 6.1 kernel refuses (EPERM, "... as MII monitoring is disabled")
# while their monitor is off; the others it takes and then never uses.
KERNEL_NEEDS_MONITOR = {"updelay", "downdelay", "peer_notif_delay"}


@pytest.mark.parametrize("case_id", sorted(UNMONITORED))
def test_options_needing_a_monitor(kernel, case_id):
    case = UNMONITORED[case_id]
    result = kernel["unmonitored"][case_id]
    op = option_write(case, result)
    error = schema_error(case["pillar"])
    assert error is not None and f"{BOND}:{case['option']}" in str(error), error
    assert op["ok"] == (case["option"] not in KERNEL_NEEDS_MONITOR), describe_ops(result)
    if not op["ok"]:
        assert op["errno"] == "EPERM", describe_ops(result)


def test_kernel_defaults_are_the_tables(kernel):
    """A bond given only its mode holds the table's default for every option of that mode."""
    differ = []
    for mode in MODES:
        read = kernel["defaults"][mode]["read"]
        assert not failed_writes(kernel["defaults"][mode])
        for option in TABLE[1:]:
            if mode not in option.modes:
                continue
            held = kernel_value(option, read[option.name])
            if option.name == "miimon":
                expected = str(modes.effective_miimon(mode, None))
            elif option.default is None:  # unset: sysfs shows nothing, or a zero MAC
                expected = {"mac": "00:00:00:00:00:00"}.get(option.kind, "")
            else:
                expected = option.default
            if held != expected:
                differ.append(f"{mode} {option.name}: kernel {held!r}, table {expected!r}")
    assert differ == []


def test_cross_option_rules(kernel):
    """What the kernel makes of two combinations the schema refuses."""
    rounded = kernel["cross"]["updelay-not-a-multiple"]
    assert schema_error(CROSS["updelay-not-a-multiple"]["pillar"]) is not None
    assert not failed_writes(rounded)
    assert rounded["read"]["updelay"] == "100"  # 150 silently rounded down to a miimon multiple
    both = kernel["cross"]["arp-after-miimon"]
    assert schema_error(CROSS["arp-after-miimon"]["pillar"]) is not None
    assert not failed_writes(both)
    # The ARP monitor written after miimon silently turned MII monitoring off.
    assert (both["read"]["miimon"], both["read"]["arp_interval"]) == ("0", "1000")


def test_every_option_and_mode_is_covered():
    """The generated cases reach every (mode, option) pair of the table, one way or the other."""
    valid = [*APPLIES.values(), *NETLINK.values()]
    pairs = {(c["expect"]["mode"], name) for c in valid for name in c["expect"]}
    pairs |= {(c["mode"], c["option"]) for c in OUTSIDE.values()}
    assert pairs >= {(mode, option.name) for mode in MODES for option in TABLE}
    kinds = {OPTIONS[name].kind for c in valid for name in c["expect"]}
    assert kinds == {option.kind for option in TABLE}


def test_what_the_kernel_changes_on_a_running_bond_is_the_tables(kernel):
    """``BondOption.live`` against the driver: "yes" options change on a bond that is up
    with its slaves; "down" ones only while it is down; "no-slaves" ones only while it has
    no slaves; "down-no-slaves" only both. (Activation bounces a bond for the last two.)"""
    found = {}
    for option in TABLE:
        changed = {state: kernel["live"][f"{option.name}-{state}"]["ops"][-1]
                   for state in ("running", "down", "empty", "down-empty")}
        for state, result in kernel["live"].items():
            if state.startswith(f"{option.name}-"):
                assert all(op["ok"] for op in result["ops"][:-1]), describe_ops(result)
        if changed["running"]["ok"]:
            found[option.name] = "yes"
        elif changed["down"]["ok"]:
            found[option.name] = "down"
        elif changed["empty"]["ok"]:
            found[option.name] = "no-slaves"
        elif changed["down-empty"]["ok"]:
            found[option.name] = "down-no-slaves"
        else:
            found[option.name] = "never: " + "; ".join(
                f"{state} {op['errno']} {op['kmsg']}" for state, op in changed.items())
    assert found == {option.name: option.live for option in TABLE}
