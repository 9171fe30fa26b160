"""The core's layout: a folder per concern, every module on each map, none too long.

A newcomer finds where a piece goes from the folder names and the maps (the README's
table, CONTRIBUTING's tree, the package docstring); a module missing from one of them,
or grown past what one reader takes in, fails here.
"""

import os
import re

import pytest
import salt_bonding

pytestmark = pytest.mark.unit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORE = os.path.dirname(salt_bonding.__file__)
LONGEST = 450  # lines
CONCERNS = {"config", "render", "transaction", "activate", "observe", "host", "fleet"}


def modules():
    """``[(folder or "", file name)]`` of every module of the core but the __init__ files."""
    found = []
    for directory, folders, files in os.walk(CORE):
        folders[:] = [f for f in folders if f != "__pycache__"]
        folder = os.path.relpath(directory, CORE)
        found += [("" if folder == "." else folder, name) for name in files
                  if name.endswith(".py") and name != "__init__.py"]
    return sorted(found)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def test_the_folders_are_the_concerns_and_only_a_few_modules_stay_on_top():
    folders = {folder for folder, _ in modules() if folder}
    assert folders == CONCERNS
    assert {name for folder, name in modules() if not folder} == {"plan.py", "errors.py"}


@pytest.mark.parametrize("folder, name", modules())
def test_every_module_is_on_every_map(folder, name):
    readme_rows = {row.split("|")[1].strip(" `/"): row for row in read("README.md").splitlines()
                   if re.match(r"\| `?[a-z()]", row)}
    row = readme_rows[folder or "(top)"]
    assert f"`{name}`" in row, (folder, name, row)
    contributing = read("CONTRIBUTING.md")
    tree = contributing[contributing.index("_utils/salt_bonding/   the pure core"):]
    assert re.search(rf"\b{re.escape(name)}\b", tree), name
    assert re.search(rf"\b{re.escape(name)}\b", salt_bonding.__doc__), name
    if folder:
        with open(os.path.join(CORE, folder, "__init__.py"), encoding="utf-8") as handle:
            assert handle.read().startswith('"""'), f"{folder}/__init__.py says what is there"


@pytest.mark.parametrize("folder, name", modules())
def test_no_module_is_longer_than_one_reader_takes_in(folder, name):
    with open(os.path.join(CORE, folder, name), encoding="utf-8") as handle:
        lines = handle.read().count("\n")
    assert lines <= LONGEST, f"{folder}/{name}: {lines} lines; split it by what it does"
