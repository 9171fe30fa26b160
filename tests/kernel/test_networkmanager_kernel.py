"""Keyfiles -> the real NetworkManager -> the real bonding driver, in one user-mode-linux boot.

Inside the kernel, ``salt-call state.apply bonding`` with ``format: keyfile``
writes the pillar's NetworkManager profiles (into a tmpfs, ``bond.keyfile_dir``);
then Debian's NetworkManager 1.42 (the daemon, on a D-Bus system bus of its
own, see ``tests/harness/agent.py``) starts on that directory and must bring
every bond up by itself: mode, options, ports, MTU, IPv4 and IPv6 addresses,
the VLAN, ping through each bond to a neighbour in another network namespace
(a bridge for the active-backup bond, an 802.3ad partner bond for LACP).

Then, with NetworkManager still running, what the state's "load and verify"
step can rely on: ``nmcli connection load`` of a changed, and of broken,
keyfiles.

The competing scenarios put an installer's profile for one of our ports
("Wired connection 1": an ethernet profile with the port's interface-name and
an address of its own, autoconnect, no priority) beside our files before
NetworkManager starts, and record which profile gets the port: without a
priority on our ports (ours loses, every time), with ``autoconnect-priority=100``
(ours wins, every time), and as the state writes them (it sets that priority).

The last scenario runs the state's own "load and verify" step against the
running NetworkManager: a new bond loaded (and autoconnected, pinging), a
changed option loaded, removed files unloaded, and files NetworkManager
refuses (``bond.keyfile_dir`` not where it reads) rolled back.

Timings here: NetworkManager answers and has finished its startup activations
1.1-1.7 s after it is started; the whole boot takes about 2.5 minutes, most
of it the three salt-calls of the first scenario (the other ten take 4-10 s).
"""

import json
import os

import pytest
from salt_bonding.config import schema

from tests.harness import uml as uml_harness

pytestmark = pytest.mark.kernel

RUN = "/run/bond-nm-test"  # a tmpfs inside the kernel
KEYFILES = f"{RUN}/system-connections"  # bond.keyfile_dir
PRISTINE = f"{RUN}/as-written"  # a copy of what the state wrote, for the later scenarios
PILLAR = {
    "bonding": {
        "format": "keyfile",
        "bonds": {
            "bond0": {
                "mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
                "updelay": 200, "primary": "vb", "primary_reselect": "better",
                "ipaddr": "192.0.2.10", "prefix": 24, "gateway": "192.0.2.1", "mtu": 1400,
                "ipv6addr": ["2001:db8::10/64"], "ipv6_defaultgw": "2001:db8::1",
                "dns": ["192.0.2.53"], "domain": "example.test",
                "vlans": {100: {"ipaddr": "198.51.100.10", "prefix": 24}},
            },
            "bond1": {
                "mode": "802.3ad", "slaves": ["vc", "vd"], "miimon": 100,
                "lacp_rate": "fast", "xmit_hash_policy": "layer3+4",
                "ipaddr": "203.0.113.10", "netmask": "255.255.255.0",
            },
        },
    },
}
# The neighbours: a bridge (with VLAN 100) behind bond0's ports, an 802.3ad
# bond behind bond1's, each in a network namespace of its own.
BRIDGE = {"netns": "peer", "peers": ["pa", "pb"],
          "addresses": ["192.0.2.1/24", "2001:db8::1/64"],
          "vlans": [{"id": 100, "addresses": ["198.51.100.1/24"]}]}
PARTNER = {"netns": "lacp", "peers": ["pc", "pd"], "addresses": ["203.0.113.1/24"],
           "bond": {"mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": "fast"}}}


def run(step_id, *argv, **extra):
    return {"id": step_id, "run": [str(a) for a in argv], **extra}


def bash(step_id, script, *args):
    return run(step_id, "bash", "-c", script, "-", *args)


def nmcli(step_id, *argv):
    return {"id": step_id, "nmcli": [str(a) for a in argv]}


def wait(path, equals, timeout=20):
    return {"wait": {"path": path, "equals": equals, "timeout": timeout}}


def keyfile(path, text, mode="600"):
    """A step writing ``text`` to ``path`` (root-owned, ``mode``)."""
    return bash(f"write {path}", 'umask 077 && printf %s "$2" > "$1" && chmod "$3" "$1"',
                path, text, mode)


BAD = {  # file name -> (mode, text): what `nmcli connection load` is given
    "insecure.nmconnection": ("644", "[connection]\nid=insecure\ntype=bond\n"
                                     "interface-name=bond7\n\n[bond]\nmode=active-backup\n"),
    "badvalue.nmconnection": ("600", "[connection]\nid=badvalue\ntype=bond\n"
                                     "interface-name=bond6\n\n[bond]\nmode=active-backup\n"
                                     "miimon=often\n"),
    "unknown.nmconnection": ("600", "[connection]\nid=unknown\ntype=bond\n"
                                    "interface-name=bond5\n\n[bond]\nmode=active-backup\n"
                                    "miimon=100\nfrobnicate=1\n"),
    "semantic.nmconnection": ("600", "[connection]\nid=semantic\ntype=bond\n"
                                     "interface-name=bond4\n\n[bond]\nmode=balance-xor\n"
                                     "primary=va\n"),
}
LOAD_STEPS = [
    # A changed profile: bond1's miimon 100 -> 250 in the file, then `load`.
    bash("edit-bond1", 'sed -i "s/^miimon=100$/miimon=250/" "$1" && grep -n miimon "$1"',
         f"{KEYFILES}/bond1.nmconnection"),
    nmcli("load-changed", "connection", "load", f"{KEYFILES}/bond1.nmconnection"),
    nmcli("options-after-load", "-g", "bond.options", "connection", "show", "bond1"),
    {"id": "kernel-after-load", "read": "/sys/class/net/bond1/bonding/miimon"},
    nmcli("state-after-load", "-g", "GENERAL.STATE", "connection", "show", "bond1"),
    nmcli("reapply", "device", "reapply", "bond1"),
    {"id": "kernel-after-reapply", "read": "/sys/class/net/bond1/bonding/miimon"},
    # Broken files.
    *[keyfile(f"{KEYFILES}/{name}", text, mode) for name, (mode, text) in BAD.items()],
    *[nmcli(f"load-{name}", "connection", "load", f"{KEYFILES}/{name}") for name in BAD],
    nmcli("load-missing", "connection", "load", f"{KEYFILES}/missing.nmconnection"),
    run("mkdir-elsewhere", "mkdir", "-p", f"{RUN}/elsewhere"),
    keyfile(f"{RUN}/elsewhere/outside.nmconnection", BAD["unknown.nmconnection"][1]
            .replace("unknown", "outside").replace("bond5", "bond3")),
    nmcli("load-outside", "connection", "load", f"{RUN}/elsewhere/outside.nmconnection"),
    nmcli("profiles-after-bad", "-t", "-f", "NAME,FILENAME", "connection", "show"),
    nmcli("options-unknown", "-g", "bond.options", "connection", "show", "unknown"),
    nmcli("options-badvalue", "-g", "bond.options", "connection", "show", "badvalue"),
    # One of ours made insecure (0644), loaded again: does its profile go, and its bond?
    run("chmod-bond1", "chmod", "644", f"{KEYFILES}/bond1.nmconnection"),
    nmcli("load-insecure-existing", "connection", "load", f"{KEYFILES}/bond1.nmconnection"),
    {"nm": "settle"},
    nmcli("profiles-after-insecure", "-t", "-f", "NAME,DEVICE", "connection", "show"),
    run("bond1-after-insecure", "ip", "-j", "link", "show", "bond1"),
    nmcli("reload", "connection", "reload"),
    {"nm": "settle"},
    nmcli("profiles-after-reload", "-t", "-f", "NAME,DEVICE", "connection", "show"),
    run("bond1-after-reload", "ip", "-j", "link", "show", "bond1"),
    {"id": "log", "nm": "log"},
]

MAIN = {
    "name": "nm-bonds",
    "veths": [["va", "pa"], ["vb", "pb"], ["vc", "pc"], ["vd", "pd"]],
    "neighbours": [BRIDGE, PARTNER],
    "steps": [
        run("mkdir", "mkdir", "-p", KEYFILES, PRISTINE),
        {"id": "apply", "salt": ["state.apply", "bonding"]},
        bash("files", 'cd "$1" && stat -c "%a %U %n" *', KEYFILES),
        run("keep", "cp", "-a", f"{KEYFILES}/.", PRISTINE),
        {"id": "nm-start", "nm": "start", "keyfile_dir": KEYFILES, "timeout": 90},
        {"id": "active", **wait("bond0/bonding/active_slave", "vb")},
        *[{"id": f"lacp-{port}", **wait(f"{port}/bonding_slave/ad_{side}_oper_port_state", "63")}
          for port in ("vc", "vd") for side in ("partner", "actor")],
        nmcli("devices", "-t", "-f", "DEVICE,TYPE,STATE,CONNECTION", "device"),
        {"id": "proc-bond0", "read": "/proc/net/bonding/bond0"},
        {"id": "proc-bond1", "read": "/proc/net/bonding/bond1"},
        *[run(f"link-{dev}", "ip", "-d", "-j", "link", "show", dev)
          for dev in ("bond0", "bond1", "bond0.100", "va", "vb", "vc", "vd")],
        *[run(f"addr-{dev}", "ip", "-j", "addr", "show", "dev", dev)
          for dev in ("bond0", "bond1", "bond0.100")],
        run("route4", "ip", "-j", "route", "show", "default"),
        run("route6", "ip", "-6", "-j", "route", "show", "default"),
        run("ping-bond0", "ping", "-c1", "-w10", "192.0.2.1"),
        run("ping-vlan", "ping", "-c1", "-w10", "198.51.100.1"),
        run("ping6-bond0", "ping", "-6", "-c1", "-w10", "2001:db8::1"),
        run("ping-bond1", "ping", "-c1", "-w10", "203.0.113.1"),
        {"id": "status", "salt": ["bond.status"]},
        {"id": "again", "salt": ["state.apply", "bonding", "test=True"]},
        *LOAD_STEPS,
        {"id": "nm-stop", "nm": "stop"},
    ],
}

FOREIGN_UUID = "2f0e5a8e-8f3e-4d7a-9a53-0a1b2c3d4e5f"
FOREIGN = ("[connection]\nid=Wired connection 1\nuuid=" + FOREIGN_UUID + "\ntype=ethernet\n"
           "autoconnect=true\ninterface-name=va\n\n[ethernet]\n\n"
           "[ipv4]\naddress1=10.99.0.5/24\nmethod=manual\n\n[ipv6]\nmethod=auto\n")
FOREIGN_NAME = "Wired connection 1.nmconnection"
# NetworkManager's record that a profile was activated before (an installer's
# profile has been in use since installation; ours never has).
USED_BEFORE = {"timestamps": f"[timestamps]\n{FOREIGN_UUID}=1700000000\n"}
OURS = ("bond0.nmconnection", "va.nmconnection", "vb.nmconnection")
PORTS = ("va.nmconnection", "vb.nmconnection")
# Our files as the state wrote them, then, unless ``as_written``, made independent of
# what the renderer does about priorities: no autoconnect-priority anywhere, or (with
# ``priority``) autoconnect-priority=100 under [connection] of the two port profiles;
# with ``slaves``, autoconnect-slaves=1 in bond0's [connection] too.
OUR_FILES_SCRIPT = """set -e
dir=$1 priority=$2 as_written=$3 slaves=$4
shift 4
cp -a "$@" "$dir"/
cd "$dir"
[ "$as_written" = yes ] && exit 0
sed -i '/^autoconnect-priority=/d' *.nmconnection
if [ "$priority" = yes ]; then
    sed -i 's/^slave-type=bond$/&\\nautoconnect-priority=100/' """ + " ".join(PORTS) + """
fi
if [ "$slaves" = yes ]; then
    sed -i 's/^interface-name=bond0$/&\\nautoconnect-slaves=1/' bond0.nmconnection
fi
"""


def our_files(directory, priority, as_written, slaves=False):
    return run("ours", "bash", "-c", OUR_FILES_SCRIPT, "-", directory,
               *["yes" if flag else "no" for flag in (priority, as_written, slaves)],
               *[f"{PRISTINE}/{name}" for name in OURS])


def compete(name, *, priority=False, as_written=False, used=False, foreign_first=False,
            slaves=False):
    """NetworkManager starts with our bond0 files and the installer's profile for va."""
    directory = f"{RUN}/{name}"
    ours = our_files(directory, priority, as_written, slaves)
    foreign = keyfile(f"{directory}/{FOREIGN_NAME}", FOREIGN)
    return two_ports(name, directory, [
        *([foreign, ours] if foreign_first else [ours, foreign]),
        bash("files", 'cd "$1" && stat -c "%a %U %n" * && cat bond0.nmconnection va.nmconnection',
             directory),
        {"id": "nm-start", "nm": "start", "keyfile_dir": directory, "timeout": 90,
         **({"state_files": USED_BEFORE} if used else {})},
        {"nm": "settle"},
    ])


def two_ports(name, directory, steps):
    """va/pa and vb/pb, a neighbour behind them; ``steps`` in a fresh ``directory``,
    then what became of va, and NetworkManager stopped."""
    return {
        "name": name,
        "veths": [["va", "pa"], ["vb", "pb"]],
        "neighbour": {"peers": ["pa", "pb"], "addresses": ["192.0.2.1/24"]},
        "steps": [run("mkdir", "mkdir", "-p", directory), *steps, *outcome(),
                  {"id": "nm-stop", "nm": "stop"}],
    }


def outcome():
    return [
        nmcli("active", "-t", "-f", "NAME,DEVICE", "connection", "show", "--active"),
        {"id": "slaves", "read": "/sys/class/net/bond0/bonding/slaves"},
        run("addr-va", "ip", "-j", "addr", "show", "dev", "va"),
        run("ping", "ping", "-c1", "-w5", "192.0.2.1"),
    ]


def compete_live(name, *, priority=False, slaves=False):
    """NetworkManager runs with the installer's profile active on va; then our files
    arrive and are loaded (what a state run does on a live host)."""
    directory = f"{RUN}/{name}"
    return two_ports(name, directory, [
        keyfile(f"{directory}/{FOREIGN_NAME}", FOREIGN),
        {"id": "nm-start", "nm": "start", "keyfile_dir": directory, "timeout": 90},
        nmcli("active-before", "-t", "-f", "NAME,DEVICE", "connection", "show", "--active"),
        our_files(directory, priority, as_written=False, slaves=slaves),
        bash("files", 'cd "$1" && cat bond0.nmconnection va.nmconnection', directory),
        nmcli("load", "connection", "load", *[f"{directory}/{f}" for f in OURS]),
        {"nm": "settle"},
        nmcli("active-after-load", "-t", "-f", "NAME,DEVICE", "connection", "show", "--active"),
        {"id": "slaves-after-load", "read": "/sys/class/net/bond0/bonding/slaves"},
        nmcli("up-bond0", "connection", "up", "bond0"),
        {"nm": "settle"},
        nmcli("active-after-up", "-t", "-f", "NAME,DEVICE", "connection", "show", "--active"),
        {"id": "slaves-after-up", "read": "/sys/class/net/bond0/bonding/slaves"},
        nmcli("up-va", "connection", "up", "va"),
        {"nm": "settle"},
    ])


NO_PRIORITY = ["compete-1", "compete-2", "compete-3", "compete-used"]
PRIORITY = ["compete-priority-1", "compete-priority-2", "compete-priority-3",
            "compete-priority-used-1", "compete-priority-used-2"]
AS_WRITTEN = ["compete-as-written", "compete-as-written-used"]
COMPETING = [
    compete("compete-1"),
    compete("compete-2", foreign_first=True),
    compete("compete-3"),
    compete("compete-used", used=True),
    compete("compete-priority-1", priority=True),
    compete("compete-priority-2", priority=True, foreign_first=True),
    compete("compete-priority-3", priority=True),
    compete("compete-priority-used-1", priority=True, used=True),
    compete("compete-priority-used-2", priority=True, used=True, foreign_first=True),
    compete("compete-slaves", slaves=True, foreign_first=True),
    compete("compete-slaves-used", slaves=True, used=True),
    compete("compete-as-written", as_written=True),
    compete("compete-as-written-used", as_written=True, used=True, foreign_first=True),
    compete_live("compete-live"),
    compete_live("compete-live-priority", priority=True),
    compete_live("compete-live-slaves", slaves=True),
    compete_live("compete-live-slaves-priority", priority=True, slaves=True),
]
# The state's own "load and verify" step against the running NetworkManager: the
# pillar (given on the command line, under a key of its own) creates bond5, changes
# its miimon, removes it; then NetworkManager reads another directory than
# bond.keyfile_dir, refuses the files, and the state rolls them back.
ELSEWHERE = f"{RUN}/nm-reads-here"


def bond5(removed=False, **settings):
    """salt-call arguments applying pillar ``nmload`` with bond5 (or, ``removed``, none)."""
    bonds = {} if removed else {"bond5": {
        "mode": "active-backup", "slaves": ["va", "vb"], "miimon": 100,
        "ipaddr": "192.0.2.50", "prefix": 24, **settings}}
    pillar = {"nmload": {"format": "keyfile", "bonds": bonds}}
    return ["state.high", json.dumps({"nmload": {"bond": ["reconciled"]}}),
            f"pillar={json.dumps(pillar)}"]


PROFILES = ["-t", "-f", "NAME,FILENAME", "connection", "show"]
STATE_LOAD = {
    "name": "state-load",
    "veths": [["va", "pa"], ["vb", "pb"]],
    "neighbour": {"peers": ["pa", "pb"], "addresses": ["192.0.2.1/24"]},
    "steps": [
        run("clean", "bash", "-c", 'rm -rf "$1" "$2" && mkdir -p "$1" "$2"', "-", KEYFILES,
            ELSEWHERE),
        {"id": "nm-start", "nm": "start", "keyfile_dir": KEYFILES, "timeout": 90},
        {"id": "would-load", "salt": [*bond5(), "test=True"]},
        {"id": "load-new", "salt": bond5()},
        nmcli("profiles-new", *PROFILES),
        {"id": "slaves-new", **wait("bond5/bonding/slaves", "va vb")},
        run("ping-new", "ping", "-c1", "-w10", "192.0.2.1"),
        {"id": "load-changed", "salt": bond5(miimon=300)},
        nmcli("options-changed", "-g", "bond.options", "connection", "show", "bond5"),
        {"id": "load-removed", "salt": bond5(removed=True)},
        nmcli("profiles-removed", *PROFILES),
        {"id": "nm-stop", "nm": "stop"},
        {"id": "nm-elsewhere", "nm": "start", "keyfile_dir": ELSEWHERE, "timeout": 90},
        {"id": "load-refused", "salt": bond5()},
        bash("files-refused", 'ls -A "$1"', KEYFILES),
        nmcli("profiles-refused", *PROFILES),
        {"id": "nm-stop-2", "nm": "stop"},
    ],
}
SCENARIOS = [MAIN, *COMPETING, STATE_LOAD]


@pytest.fixture(scope="module")
def nm_run(uml):
    """Every scenario, in one boot (CI: NetworkManager missing fails, as UML does)."""
    reason = uml_harness.networkmanager_unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"NetworkManager harness unavailable in CI: {reason}")
        pytest.skip(f"NetworkManager harness unavailable: {reason}")
    return uml.run(SCENARIOS, pillar=PILLAR, minion_opts={"bond.keyfile_dir": KEYFILES})


@pytest.fixture(scope="module")
def main(nm_run):
    return nm_run["nm-bonds"]


@pytest.fixture(scope="module")
def config():
    return schema.validate(PILLAR["bonding"])


def ip_json(result, step_id):
    (link,) = json.loads(result.stdout_ok(step_id))
    return link


def addresses(link, family, scope="global"):
    return {f"{a['local']}/{a['prefixlen']}" for a in link["addr_info"]
            if a["family"] == family and a["scope"] == scope}


def test_state_writes_root_owned_0600_keyfiles(main):
    states = main.salt_ok("apply")
    assert [s["result"] for s in states.values()] == [True], states
    assert main.stdout_ok("files").split("\n") == [
        f"600 root {name}.nmconnection"
        for name in ("bond0.100", "bond0", "bond1", "va", "vb", "vc", "vd")] + [""]


def test_networkmanager_activates_every_profile(main):
    assert main.step("nm-start")["rc"] == 0, main.step("nm-start")  # startup complete
    devices = dict(line.split(":", 1) for line in main.stdout_ok("devices").split())
    for name in ("bond0", "bond1", "bond0.100", "va", "vb", "vc", "vd"):
        assert devices[name].endswith(f":connected:{name}"), devices


# What the kernel's netlink dump calls the pillar's options (ip -d -j link).
IP_NAMES = {"lacp_rate": "ad_lacp_rate"}


@pytest.mark.parametrize("bond", ["bond0", "bond1"])
def test_kernel_runs_the_pillars_options(main, config, bond):
    wanted = config.bonds[bond]
    info = ip_json(main, f"link-{bond}")["linkinfo"]
    assert info["info_kind"] == "bond"
    data = info["info_data"]
    assert data["mode"] == wanted.mode
    assert {name: str(data[IP_NAMES.get(name, name)]) for name in wanted.options} == \
        wanted.options
    for slave in wanted.slaves:
        assert ip_json(main, f"link-{slave}")["master"] == bond
    status = main.salt_ok("status")[bond]
    assert sorted(status["slaves"]) == wanted.slaves
    assert {s["mii_status"] for s in status["slaves"].values()} == {"up"}
    assert status["health"] == {"status": "ok", "problems": []}


def test_active_backup_primary(main):
    assert main.step("active")["rc"] == 0, main.step("active")
    text = main.stdout("proc-bond0")
    assert "Bonding Mode: fault-tolerance (active-backup)" in text
    assert "Primary Slave: vb (primary_reselect better)" in text
    assert "Currently Active Slave: vb" in text


def test_lacp_negotiated_with_the_partner(main):
    for port in ("vc", "vd"):
        assert main.step(f"lacp-{port}")["rc"] == 0, main.step(f"lacp-{port}")
    text = main.stdout("proc-bond1")
    assert "Bonding Mode: IEEE 802.3ad Dynamic link aggregation" in text
    assert "Transmit Hash Policy: layer3+4 (1)" in text
    assert "LACP rate: fast" in text
    assert "\tNumber of ports: 2\n" in text
    assert "Partner Mac Address: 00:00:00:00:00:00" not in text
    assert text.count("    port state: 63\n") == 4  # actor and partner, both ports


def test_mtu(main):
    mtus = {dev: ip_json(main, f"link-{dev}")["mtu"]
            for dev in ("bond0", "va", "vb", "bond0.100", "bond1", "vc")}
    assert mtus == {"bond0": 1400, "va": 1400, "vb": 1400, "bond0.100": 1400,
                    "bond1": 1500, "vc": 1500}


def test_addresses_routes_and_vlan(main):
    bond0 = ip_json(main, "addr-bond0")
    assert addresses(bond0, "inet") == {"192.0.2.10/24"}
    assert addresses(bond0, "inet6") == {"2001:db8::10/64"}
    assert addresses(ip_json(main, "addr-bond1"), "inet") == {"203.0.113.10/24"}  # NETMASK
    vlan = ip_json(main, "link-bond0.100")
    assert vlan["link"] == "bond0"
    assert (vlan["linkinfo"]["info_kind"], vlan["linkinfo"]["info_data"]["id"]) == ("vlan", 100)
    assert addresses(ip_json(main, "addr-bond0.100"), "inet") == {"198.51.100.10/24"}
    assert [(r["gateway"], r["dev"]) for r in json.loads(main.stdout_ok("route4"))] == \
        [("192.0.2.1", "bond0")]
    assert [(r["gateway"], r["dev"]) for r in json.loads(main.stdout_ok("route6"))] == \
        [("2001:db8::1", "bond0")]


@pytest.mark.parametrize("step_id", ["ping-bond0", "ping-vlan", "ping6-bond0", "ping-bond1"])
def test_neighbour_answers_through_the_bond(main, step_id):
    assert " 0% packet loss" in main.stdout_ok(step_id)


def test_networkmanager_leaves_the_files_alone(main):
    states = main.salt_ok("again")
    assert [(s["result"], s["changes"]) for s in states.values()] == [(True, {})], states


# -- nmcli connection load, for the state's "load and verify" step -------------
def test_load_of_a_changed_keyfile_updates_the_profile_not_the_kernel(main):
    """`load` exits 0 and prints nothing; the profile has the new value at once; the
    running bond keeps the old one until ``nmcli device reapply`` (or ``up``)."""
    assert (main.step("load-changed")["rc"], main.stdout("load-changed"),
            main.step("load-changed")["stderr"]) == (0, "", "")
    assert main.stdout_ok("options-after-load") == \
        "mode=802.3ad,lacp_rate=fast,miimon=250,xmit_hash_policy=layer3+4\n"
    assert main.stdout("kernel-after-load") == "100\n"
    assert main.stdout_ok("state-after-load") == "activated\n"
    main.stdout_ok("reapply")
    assert main.stdout("kernel-after-reapply") == "250\n"


def could_not_load(path):
    return f"Could not load file '{path}'\n"


@pytest.mark.parametrize("step_id, path, stderr", [
    ("load-insecure.nmconnection", f"{KEYFILES}/insecure.nmconnection", "refused"),
    ("load-semantic.nmconnection", f"{KEYFILES}/semantic.nmconnection", "refused"),
    ("load-outside", f"{RUN}/elsewhere/outside.nmconnection", "refused"),
    ("load-badvalue.nmconnection", f"{KEYFILES}/badvalue.nmconnection", ""),
    ("load-unknown.nmconnection", f"{KEYFILES}/unknown.nmconnection", ""),
    ("load-missing", f"{KEYFILES}/missing.nmconnection", ""),
])
def test_load_exits_0_whatever_happens(main, step_id, path, stderr):
    """A refused file (mode 0644, a profile NetworkManager finds invalid, a file outside
    the keyfile directory) only gets a line on stderr; dropped options and a missing
    file not even that."""
    step = main.step(step_id)
    assert (step["rc"], step["stdout"]) == (0, "")
    assert step["stderr"] == (could_not_load(path) if stderr else "")


def test_loaded_and_refused_profiles(main):
    profiles = dict(line.split(":", 1) for line in main.stdout_ok("profiles-after-bad").split("\n")
                    if line)
    assert {"badvalue", "unknown"} <= set(profiles)  # loaded, the bad option dropped
    assert not {"insecure", "semantic", "outside"} & set(profiles)
    assert main.stdout_ok("options-badvalue") == "mode=active-backup\n"
    assert main.stdout_ok("options-unknown") == "mode=active-backup,miimon=100\n"


def test_an_insecure_file_keeps_the_old_profile_until_reload(main):
    """Our bond1 file made 0644 and loaded: refused, the old profile stays and the bond
    runs on; ``nmcli connection reload`` then drops the profile and takes the bond down."""
    step = main.step("load-insecure-existing")
    assert (step["rc"], step["stderr"]) == (0, could_not_load(f"{KEYFILES}/bond1.nmconnection"))
    assert "bond1:bond1" in main.stdout_ok("profiles-after-insecure").split("\n")
    assert "MASTER" in ip_json(main, "bond1-after-insecure")["flags"]
    main.stdout_ok("reload")
    assert "bond1" not in [line.split(":")[0]
                           for line in main.stdout_ok("profiles-after-reload").split("\n")]
    gone = main.step("bond1-after-reload")  # NetworkManager deleted the bond device
    assert (gone["rc"], gone["stderr"]) == (1, 'Device "bond1" does not exist.\n')


# -- an installer's profile for one of our ports -------------------------------
def active_profiles(result, step_id="active"):
    return dict(reversed(line.split(":", 1))
                for line in result.stdout_ok(step_id).split("\n") if line)


@pytest.mark.parametrize("name", NO_PRIORITY)
def test_without_priority_an_installer_profile_takes_a_port(nm_run, name):
    """Port profiles without autoconnect-priority (as the state wrote them before it
    set one): NetworkManager gives va to "Wired connection 1", whichever file came
    first and whether or not that profile was used before; bond0 comes up on vb alone."""
    result = nm_run[name]
    assert "autoconnect-priority" not in result.stdout_ok("files")
    assert active_profiles(result) == {"va": "Wired connection 1", "vb": "vb",
                                       "bond0": "bond0", "lo": "lo"}
    assert result.stdout("slaves") == "vb\n"
    assert addresses(ip_json(result, "addr-va"), "inet") == {"10.99.0.5/24"}
    result.stdout_ok("ping")


def assert_ours_won(result):
    assert active_profiles(result) == {"va": "va", "vb": "vb", "bond0": "bond0", "lo": "lo"}
    assert sorted(result.stdout("slaves").split()) == ["va", "vb"]
    assert addresses(ip_json(result, "addr-va"), "inet") == set()
    result.stdout_ok("ping")


@pytest.mark.parametrize("name", PRIORITY)
def test_autoconnect_priority_on_our_ports_wins(nm_run, name):
    """The same files with ``autoconnect-priority=100`` added by hand under
    [connection] of our two port profiles: every time, both ports go to bond0."""
    result = nm_run[name]
    assert result.stdout_ok("files").count("autoconnect-priority=100\n") == 1  # va's
    assert_ours_won(result)


@pytest.mark.parametrize("name", AS_WRITTEN)
def test_ports_as_the_state_writes_them_win(nm_run, name):
    """Our files exactly as the state wrote them, beside the installer's profile."""
    assert_ours_won(nm_run[name])


@pytest.mark.parametrize("name", ["compete-live", "compete-live-priority"])
def test_loading_ours_beside_an_active_installer_profile(nm_run, name):
    """NetworkManager already runs with "Wired connection 1" active on va when our files
    are loaded, with or without autoconnect-priority on our ports: bond0 autoconnects on
    vb only (a priority does not take an active device over); ``nmcli connection up
    bond0`` does not take va either; ``nmcli connection up va`` does."""
    result = nm_run[name]
    assert ("autoconnect-priority=100" in result.stdout_ok("files")) == name.endswith("priority")
    assert active_profiles(result, "active-before") == {"va": "Wired connection 1", "lo": "lo"}
    assert (result.step("load")["rc"], result.step("load")["stderr"]) == (0, "")
    after_load = {"va": "Wired connection 1", "vb": "vb", "bond0": "bond0", "lo": "lo"}
    assert active_profiles(result, "active-after-load") == after_load
    assert result.stdout("slaves-after-load") == "vb\n"
    result.stdout_ok("up-bond0")
    assert active_profiles(result, "active-after-up") == after_load
    assert result.stdout("slaves-after-up") == "vb\n"
    result.stdout_ok("up-va")
    assert_ours_won(result)


@pytest.mark.parametrize("name", ["compete-slaves", "compete-slaves-used"])
def test_autoconnect_slaves_alone_wins_at_start_by_preempting(nm_run, name):
    """``autoconnect-slaves=1`` on bond0 and no priority on the ports: NetworkManager
    starts activating "Wired connection 1" on va, then bond0's activation takes va
    over for our port profile (where a priority makes it pick ours at once)."""
    result = nm_run[name]
    files = result.stdout_ok("files")
    assert "autoconnect-slaves=1" in files and "autoconnect-priority" not in files
    assert_ours_won(result)
    log = result.stdout("nm-stop")
    first = log.index("device (va): Activation: starting connection 'Wired connection 1'")
    assert log.index("device (va): disconnecting for new activation request.") > first
    priority = nm_run["compete-priority-1"].stdout("nm-stop")
    assert "starting connection 'Wired connection 1'" not in priority


@pytest.mark.parametrize("name", ["compete-live-slaves", "compete-live-slaves-priority"])
def test_autoconnect_slaves_takes_the_port_on_load(nm_run, name):
    """``autoconnect-slaves=1`` in bond0's [connection]: loading our files into the
    running NetworkManager activates bond0 and with it every port profile, va too,
    taking it from the active "Wired connection 1" (no ``nmcli connection up`` needed)."""
    result = nm_run[name]
    assert "autoconnect-slaves=1" in result.stdout_ok("files")
    assert active_profiles(result, "active-before") == {"va": "Wired connection 1", "lo": "lo"}
    assert active_profiles(result, "active-after-load") == {
        "va": "va", "vb": "vb", "bond0": "bond0", "lo": "lo"}
    assert sorted(result.stdout("slaves-after-load").split()) == ["va", "vb"]
    assert_ours_won(result)


# -- the state's load-and-verify step, against the running NetworkManager ------
def only_state(result, step_id):
    (state,) = result.salt_ok(step_id).values()
    return state


def profiles(result, step_id):
    return dict(line.split(":", 1) for line in result.stdout_ok(step_id).split("\n") if line)


def test_the_state_makes_the_running_networkmanager_load_what_it_wrote(nm_run):
    result = nm_run["state-load"]
    names = "bond5.nmconnection, va.nmconnection, vb.nmconnection"
    would = only_state(result, "would-load")
    assert would["result"] is None
    assert f"NetworkManager would load {names}." in would["comment"], would["comment"]
    new = only_state(result, "load-new")
    assert new["result"] is True and f"NetworkManager loaded {names}." in new["comment"], new
    assert {name: profiles(result, "profiles-new")[name] for name in ("bond5", "va", "vb")} == {
        name: f"{KEYFILES}/{name}.nmconnection" for name in ("bond5", "va", "vb")}
    # NetworkManager autoconnects new profiles on free devices, as it would at boot:
    assert result.step("slaves-new")["rc"] == 0, result.step("slaves-new")
    result.stdout_ok("ping-new")


def test_a_changed_profile_is_loaded_and_checked(nm_run):
    result = nm_run["state-load"]
    changed = only_state(result, "load-changed")
    assert changed["result"] is True, changed
    assert "NetworkManager loaded bond5.nmconnection." in changed["comment"], changed["comment"]
    assert result.stdout_ok("options-changed") == "mode=active-backup,miimon=300\n"


def test_removed_files_leave_no_profile_behind(nm_run):
    result = nm_run["state-load"]
    removed = only_state(result, "load-removed")
    assert removed["result"] is True, removed
    assert ("NetworkManager dropped the profiles of bond5.nmconnection, va.nmconnection, "
            "vb.nmconnection (removed).") in removed["comment"], removed["comment"]
    assert not {"bond5", "va", "vb"} & set(profiles(result, "profiles-removed"))


def test_files_networkmanager_refuses_are_rolled_back(nm_run):
    """bond.keyfile_dir is not where NetworkManager reads: it refuses every file (``load``
    still exits 0); the state fails, names them, and puts the directory back as it was."""
    result = nm_run["state-load"]
    states, retcode = result.salt("load-refused")
    (refused,) = states.values()
    assert retcode == 1 and refused["result"] is False, refused
    assert refused["comment"].startswith("NetworkManager refused the new files: "
                                         f"{KEYFILES}/bond5.nmconnection: NetworkManager did "
                                         "not load it (its log says why); "), refused["comment"]
    assert "rolled back 4 file(s) and reloaded them." in refused["comment"]
    assert refused["changes"] == {}
    assert result.stdout("files-refused") == ""
    assert not {"bond5", "va", "vb"} & set(profiles(result, "profiles-refused"))
