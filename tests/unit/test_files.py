"""files: plan and diff, atomic writes, symlinks replaced, idempotence, all-or-nothing, rollback."""

import os
import stat
from dataclasses import replace

import pytest
from salt_bonding import errors
from salt_bonding.config import model
from salt_bonding.config.model import Mark
from salt_bonding.host import files
from salt_bonding.render import RENDERERS, Destination, modprobe

pytestmark = pytest.mark.unit

MARKED = "# Managed by Salt (bond state, bond0). Local changes will be overwritten.\nDEVICE=x\n"
STATE = "bond.reconciled:bonding"
MODULE_PARAMS = {"mode", "miimon", "primary"}
BOND0 = model.Bond(
    name="bond0", mode="active-backup", options={"miimon": "100", "primary": "eth0"},
    slaves=["eth0", "eth1"], onboot=True, bootproto="none",
    ipaddr=None, prefix=None, netmask=None, gateway=None, mtu=None,
    ifcfg={}, vlans={},
)


def bond(name, slaves, **extra):
    return replace(BOND0, name=name, slaves=slaves, options={"miimon": "100"}, **extra)


def make_config(*bonds, modprobe_options=False):
    return model.Config(networkmanager="unmanaged", modprobe_options=modprobe_options,
                        bonds={b.name: b for b in bonds}, warnings=[])


def ours(directory):
    """``is_ours`` for loose files in ``directory`` (marks checked as a run would)."""
    return Destination("ifcfg", str(directory), str(directory / "bonding.conf")).owns


@pytest.fixture
def dirs(tmp_path):
    ifcfg_dir = tmp_path / "network-scripts"
    ifcfg_dir.mkdir()
    (tmp_path / "modprobe.d").mkdir()
    return Destination("ifcfg", str(ifcfg_dir), str(tmp_path / "modprobe.d" / "bonding.conf"))


def run(config, destination, scope=None):
    # desired_files takes no module_params any more: options.MODULE_PARAMS is used.
    wanted = files.desired_files(config, destination, STATE, scope)
    changes = files.plan(wanted.write, wanted.remove, is_ours=destination.owns,
                         modes=wanted.modes)
    files.apply(changes)
    return changes


def mtimes(directory):
    return {e.name: e.stat(follow_symlinks=False).st_mtime_ns for e in os.scandir(directory)}


def age(directory):
    """Push every mtime into the past, so that a rewrite would show even on a coarse clock."""
    for entry in os.scandir(directory):
        os.utime(entry.path, ns=(10**18, 10**18), follow_symlinks=False)


# -- plan --------------------------------------------------------------------------
def test_plan_lists_only_what_differs_with_unified_diffs(tmp_path):
    same, changed, new = tmp_path / "same", tmp_path / "changed", tmp_path / "new"
    same.write_text("A=1\n")
    changed.write_text("A=1\nB=2\n")
    changes = files.plan({str(same): "A=1\n", str(changed): "A=1\nB=3\n",
                          str(new): "C=1\n"})
    assert list(changes) == [str(changed), str(new)]
    assert changes[str(changed)].old == "A=1\nB=2\n"
    assert changes[str(changed)].diff.splitlines() == [
        f"--- {changed}", f"+++ {changed}", "@@ -1,2 +1,2 @@", " A=1", "-B=2", "+B=3"]
    assert changes[str(new)].old is None
    assert changes[str(new)].diff.startswith(f"--- /dev/null\n+++ {new}\n")


def test_plan_diff_of_a_removal_and_of_a_missing_final_newline(tmp_path):
    marked = tmp_path / "ifcfg-eth0"
    marked.write_text(MARKED + "TAIL=1")
    change = files.plan({}, [str(marked)], is_ours=ours(tmp_path))[str(marked)]
    assert change.new is None
    assert change.diff.startswith(f"--- {marked}\n+++ /dev/null\n")
    assert change.diff.endswith("-TAIL=1\n\\ No newline at end of file\n")


def test_plan_refuses_to_remove_a_file_without_our_mark(tmp_path):
    theirs = tmp_path / "ifcfg-eth0"
    theirs.write_text("DEVICE=eth0\n")
    with pytest.raises(errors.UserError, match="does not carry the bond state's mark"):
        files.plan({}, [str(theirs)], is_ours=ours(tmp_path))
    link = tmp_path / "ifcfg-eth1"
    (tmp_path / "marked").write_text(MARKED)
    link.symlink_to(tmp_path / "marked")
    with pytest.raises(errors.UserError, match="does not carry"):
        files.plan({}, [str(link)], is_ours=ours(tmp_path))
    assert files.plan({}, [str(tmp_path / "gone")], is_ours=ours(tmp_path)) == {}


def test_plan_refuses_a_path_both_written_and_removed(tmp_path):
    with pytest.raises(ValueError, match="both written and removed"):
        files.plan({str(tmp_path / "a"): "x"}, [str(tmp_path / "a")])


# -- apply ---------------------------------------------------------------------------
def test_apply_writes_atomically_with_mode_0644_or_the_stricter_one_there(tmp_path):
    existing = tmp_path / "ifcfg-eth0"
    existing.write_text("old\n")
    existing.chmod(0o600)
    old_inode = existing.stat().st_ino
    old_umask = os.umask(0o077)
    try:
        files.apply(files.plan({str(existing): "new\n",
                                str(tmp_path / "ifcfg-eth1"): "other\n"}))
    finally:
        os.umask(old_umask)
    assert existing.read_text() == "new\n"
    assert existing.stat().st_ino != old_inode  # renamed into place, not rewritten in place
    # The umask does not widen or narrow ours; a file that was 0600 stays 0600.
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ifcfg-eth1").stat().st_mode) == 0o644
    existing.chmod(0o755)
    files.apply(files.plan({str(existing): "newer\n"}))
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644  # never wider than ours
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ifcfg-eth0", "ifcfg-eth1"]


def test_symlink_at_target_is_replaced_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("secret\n")
    target = tmp_path / "dir" / "ifcfg-eth0"
    target.parent.mkdir()
    target.symlink_to(outside)
    changes = files.plan({str(target): "DEVICE=eth0\n"})
    assert changes[str(target)].old_kind == "symlink"
    assert "secret" not in changes[str(target)].diff
    files.apply(changes)
    assert not target.is_symlink() and target.read_text() == "DEVICE=eth0\n"
    assert outside.read_text() == "secret\n"


def test_nothing_is_written_when_content_matches(dirs):
    ifcfg_dir, modprobe_conf = dirs.directory, dirs.modprobe_conf
    config = make_config(bond("bond0", ["eth0", "eth1"]))
    assert run(config, dirs)
    age(ifcfg_dir)
    age(os.path.dirname(modprobe_conf))
    before = mtimes(ifcfg_dir), mtimes(os.path.dirname(modprobe_conf))
    assert run(config, dirs) == {}
    assert (mtimes(ifcfg_dir), mtimes(os.path.dirname(modprobe_conf))) == before


def test_failed_write_rolls_back_every_change(tmp_path):
    modified, created, removed = tmp_path / "a-mod", tmp_path / "b-new", tmp_path / "c-rm"
    symlinked, blocked = tmp_path / "d-link", tmp_path / "z-blocked"
    modified.write_text("old\n")
    modified.chmod(0o640)
    removed.write_text(MARKED)
    symlinked.symlink_to("/nonexistent/elsewhere")
    blocked.mkdir()  # a directory where a file should go: rename(2) fails
    changes = files.plan(
        {str(modified): "new\n", str(created): "new\n", str(symlinked): "new\n",
         str(blocked): "new\n"},
        [str(removed)], is_ours=ours(tmp_path),
    )
    with pytest.raises(errors.FilesError) as info:
        files.apply(changes)
    error = info.value
    # Was an OSError; now the package's SystemFailure (what the state module catches).
    assert isinstance(error, errors.SystemFailure)
    assert error.path == str(blocked)
    assert str(error).startswith(f"could not write {blocked}: Is a directory")
    assert "4 file(s) already changed were restored" in str(error)
    assert error.restored == sorted([str(modified), str(created), str(removed), str(symlinked)])
    assert modified.read_text() == "old\n" and stat.S_IMODE(modified.stat().st_mode) == 0o640
    assert not created.exists()
    assert removed.read_text() == MARKED
    assert os.readlink(symlinked) == "/nonexistent/elsewhere"
    assert blocked.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-mod", "c-rm", "d-link", "z-blocked"]


def test_rollback_of_an_applied_plan_puts_every_path_back(tmp_path):
    created, updated, removed = (tmp_path / name for name in ("ifcfg-eth0", "ifcfg-eth1",
                                                              "ifcfg-eth2"))
    updated.write_bytes(b"DEVICE=eth1\n# caf\xe9 latin-1, no final newline")
    updated.chmod(0o640)
    removed.write_bytes(MARKED.encode() + b"TAIL=1")
    removed.chmod(0o600)
    before = {path: (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
              for path in (updated, removed)}
    changes = files.plan({str(created): "created\n", str(updated): "updated\n"},
                         [str(removed)], is_ours=ours(tmp_path))
    assert {path: change.action for path, change in changes.items()} == {
        str(created): "created", str(updated): "updated", str(removed): "removed"}
    applied = files.apply(changes)
    assert created.read_text() == "created\n" and updated.read_text() == "updated\n"
    assert not removed.exists()

    restored, failures = applied.rollback()

    assert (restored, failures) == (sorted([str(created), str(updated), str(removed)]), {})
    assert not created.exists()
    for path, (data, mode) in before.items():
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ifcfg-eth1", "ifcfg-eth2"]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_rollback_puts_back_owner_group_and_mode(tmp_path):
    """A file a run rewrote or removed comes back with its owner, group and mode, not
    the writer's (issue #23: a rolled-back keyfile or ifcfg file owned by root:root 0644
    is not what was there)."""
    updated, removed = tmp_path / "ifcfg-eth1", tmp_path / "ifcfg-eth2"
    updated.write_text("DEVICE=eth1\n")
    removed.write_text(MARKED)
    for path, (uid, gid, mode) in ((updated, (1234, 5678, 0o640)),
                                   (removed, (4321, 8765, 0o600))):
        os.chown(path, uid, gid)
        path.chmod(mode)
    before = {path: (path.stat().st_uid, path.stat().st_gid,
                     stat.S_IMODE(path.stat().st_mode)) for path in (updated, removed)}
    applied = files.apply(files.plan({str(updated): "updated\n"}, [str(removed)],
                                     is_ours=ours(tmp_path)))
    assert (updated.stat().st_uid, updated.stat().st_gid) == (0, 0)  # written by root

    assert applied.rollback()[1] == {}

    for path, owner_and_mode in before.items():
        assert (path.stat().st_uid, path.stat().st_gid,
                stat.S_IMODE(path.stat().st_mode)) == owner_and_mode, path


def test_a_file_removed_meanwhile_is_not_an_error(tmp_path):
    marked = tmp_path / "ifcfg-eth0"
    marked.write_text(MARKED)
    changes = files.plan({str(tmp_path / "ifcfg-eth1"): "x\n"}, [str(marked)],
                         is_ours=ours(tmp_path))
    marked.unlink()
    files.apply(changes)
    assert os.listdir(tmp_path) == ["ifcfg-eth1"]


def test_path_under_a_regular_file_fails_and_rolls_back(tmp_path):
    first = tmp_path / "a"
    (tmp_path / "plainfile").write_text("x")
    changes = files.plan({str(first): "1\n",
                          str(tmp_path / "plainfile" / "ifcfg-eth0"): "2\n"})
    with pytest.raises(errors.FilesError, match="plainfile/ifcfg-eth0: .*plainfile is not a "
                                                "directory"):
        files.apply(changes)
    assert not first.exists()
    assert (tmp_path / "plainfile").read_text() == "x"


def test_missing_directory_is_created_only_under_an_existing_parent(tmp_path):
    path = tmp_path / "sysconfig" / "network-scripts" / "ifcfg-eth0"
    with pytest.raises(errors.FilesError, match="neither .* nor its parent exists"):
        files.apply(files.plan({str(path): "x\n"}))
    (tmp_path / "sysconfig").mkdir()
    files.apply(files.plan({str(path): "x\n"}))
    assert path.read_text() == "x\n"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o755


def test_created_directory_is_removed_on_rollback(tmp_path):
    (tmp_path / "sysconfig").mkdir()
    created = tmp_path / "sysconfig" / "network-scripts"
    blocked = tmp_path / "zz"
    blocked.mkdir()
    changes = files.plan({str(created / "ifcfg-eth0"): "x\n", str(blocked): "y\n"})
    with pytest.raises(errors.FilesError):
        files.apply(changes)
    assert not created.exists()


def test_text_that_is_not_utf8_survives_a_rewrite_of_other_lines(tmp_path):
    conf = tmp_path / "bonding.conf"
    conf.write_bytes(b"# caf\xe9 latin-1\n")
    existing = files.read_current(str(conf))["text"]
    text = modprobe.render_modprobe(existing, make_config(bond("bond0", ["eth0"])),
                                    MODULE_PARAMS)
    files.apply(files.plan({str(conf): text}))
    assert b"# caf\xe9 latin-1\n" in conf.read_bytes()


# -- find_managed ---------------------------------------------------------------------
def test_find_managed_lists_only_marked_regular_ifcfg_files(tmp_path):
    (tmp_path / "ifcfg-eth0").write_text(MARKED)
    (tmp_path / "ifcfg-bond1").write_text(MARKED.replace("bond0", "bond1"))
    (tmp_path / "ifcfg-lo").write_text("DEVICE=lo\n")
    (tmp_path / "route-eth0").write_text(MARKED)
    (tmp_path / "ifcfg-link").symlink_to(tmp_path / "ifcfg-eth0")
    (tmp_path / "ifcfg-dir").mkdir()
    os.mkfifo(tmp_path / "ifcfg-fifo")  # must neither be listed nor block the read
    renderer = RENDERERS["ifcfg"]
    assert files.find_managed(str(tmp_path), renderer) == {
        str(tmp_path / "ifcfg-bond1"): Mark("bond1"), str(tmp_path / "ifcfg-eth0"): Mark("bond0")}
    assert files.find_managed(str(tmp_path / "missing"), renderer) == {}


# -- a whole state run: desired_files + plan + apply ------------------------------------
def test_reconcile_removes_what_pillar_no_longer_has(dirs):
    ifcfg_dir, modprobe_conf = dirs.directory, dirs.modprobe_conf
    theirs = os.path.join(ifcfg_dir, "ifcfg-lo")
    with open(theirs, "w") as f:
        f.write("DEVICE=lo\n")
    run(make_config(bond("bond0", ["eth0", "eth1"]), bond("bond1", ["eth2"])), dirs)
    assert sorted(os.listdir(ifcfg_dir)) == [
        "ifcfg-bond0", "ifcfg-bond1", "ifcfg-eth0", "ifcfg-eth1", "ifcfg-eth2", "ifcfg-lo"]
    changes = run(make_config(bond("bond0", ["eth0"])), dirs)
    assert sorted(os.listdir(ifcfg_dir)) == ["ifcfg-bond0", "ifcfg-eth0", "ifcfg-lo"]
    assert {os.path.basename(p) for p, c in changes.items() if c.new is None} == {
        "ifcfg-bond1", "ifcfg-eth1", "ifcfg-eth2"}
    with open(modprobe_conf) as f:
        assert "netdev-bond1" not in f.read()
    run(make_config(), dirs)
    assert os.listdir(ifcfg_dir) == ["ifcfg-lo"]
    assert not os.path.exists(modprobe_conf)  # it held nothing but our block


def test_scoped_run_leaves_other_bonds_alone(dirs):
    ifcfg_dir, modprobe_conf = dirs.directory, dirs.modprobe_conf
    run(make_config(bond("bond0", ["eth0"]), bond("bond1", ["eth2"])), dirs)
    # bond.managed for bond1 alone, its slave changed.
    run(make_config(bond("bond1", ["eth3"])), dirs, scope={"bond1"})
    assert sorted(os.listdir(ifcfg_dir)) == ["ifcfg-bond0", "ifcfg-bond1", "ifcfg-eth0",
                                             "ifcfg-eth3"]
    with open(modprobe_conf) as f:
        text = f.read()
    assert "alias netdev-bond0 bonding" in text and "alias netdev-bond1 bonding" in text
    # bond.absent for bond0.
    run(make_config(), dirs, scope={"bond0"})
    assert sorted(os.listdir(ifcfg_dir)) == ["ifcfg-bond1", "ifcfg-eth3"]
    with open(modprobe_conf) as f:
        assert "netdev-bond0" not in f.read()


def test_administrators_modprobe_lines_survive_every_run(dirs):
    modprobe_conf = dirs.modprobe_conf
    admin = "# tuned by hand\noptions e1000e InterruptThrottleRate=3000\n"
    with open(modprobe_conf, "w") as f:
        f.write(admin)
    run(make_config(bond("bond0", ["eth0"]), modprobe_options=True), dirs)
    with open(modprobe_conf) as f:
        text = f.read()
    assert admin in text and "options netdev-bond0 mode=active-backup miimon=100" in text
    run(make_config(), dirs)
    with open(modprobe_conf) as f:
        assert f.read() == admin


def test_a_directory_the_minion_config_names_is_made_with_its_parents(tmp_path):
    """``bond.ifcfg_dir`` set to a directory whose parent is missing failed the first run
    ("could not write", already in test=True) (issue 26): the administrator named it, so it
    is made, parents and all, and taken away again on rollback."""
    named = tmp_path / "srv" / "net" / "network-scripts"
    changes = files.plan({str(named / "ifcfg-eth0"): "x\n", str(tmp_path / "zz"): "y\n"})
    (tmp_path / "zz").mkdir()  # a write that fails after the directories were made
    files.check_writable(changes, made=[str(named)])
    with pytest.raises(errors.FilesError):
        files.apply(changes, made=[str(named)])
    assert os.listdir(tmp_path) == ["zz"]
    (tmp_path / "zz").rmdir()
    applied = files.apply(changes, made=[str(named)])
    assert (named / "ifcfg-eth0").read_text() == "x\n"
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o755 for d in (named, named.parent))
    applied.rollback()
    assert os.listdir(tmp_path) == []
    (tmp_path / "srv").write_text("a file where a directory would go\n")
    with pytest.raises(errors.FilesError, match=f"{tmp_path / 'srv'} is not a directory"):
        files.check_writable(changes, made=[str(named)])
