"""Two copies of the modules on one minion: synced from the master and installed as the
Salt extension.

The README says to choose one per minion. With both, Salt's loader takes the
synced modules (it reads ``extmods`` first) while ``import salt_bonding`` finds
whichever core comes first on ``sys.path``: one version's modules on the
other's core. ``saltutil.sync_all`` run on every minion (the README's step 4)
makes it so on the minions that have the extension. Pure Python, no Salt.
"""

import importlib.metadata
import os

DISTRIBUTION = "salt-bonding"


def _inside(path, directory):
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([path, directory]) == directory


def twice(shell_file, extension_modules, core_file):
    """A warning when this minion has both copies, else None: ``shell_file`` is the loader
    module asking (its ``__file__``), ``extension_modules`` Salt's ``extmods`` directory
    (``__opts__["extension_modules"]``), ``core_file`` the imported core's ``__file__``."""
    if not extension_modules or not _inside(shell_file, extension_modules):
        return None  # the extension's own module, or modules from module_dirs
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    return (f"this minion has the bond modules twice: synced into {extension_modules} and "
            f"installed as the Salt extension {DISTRIBUTION} {version}; Salt runs the synced "
            f"modules, on the core it imports first ({os.path.dirname(core_file)}). Keep one: "
            f"delete the synced copies ({extension_modules}/{{modules,states,beacons,grains}}"
            f"/bond.py and {extension_modules}/utils/salt_bonding) and restart the minion, or "
            f"pip uninstall {DISTRIBUTION}")
