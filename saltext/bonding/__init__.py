"""salt-bonding as a Salt extension (``pip install``, ``salt-pip install``).

The ``salt.loader`` entry point in ``setup.cfg`` names this package; Salt's
loader takes the loader modules from its subdirectories ``modules``,
``states``, ``beacons``, ``grains`` (on minions), ``runners`` and ``output``
(on the master). In the repository they are not here: ``setup.cfg`` maps them
from the file-server directories (``_modules/``, ``_states/``, ``_beacons/``,
``_grains/``, ``_runners/``, ``_output/``), so both ways to install run the
same files. The core they import, ``salt_bonding`` (from ``_utils/``), is
installed as a top-level package: Salt loads no ``utils`` from extensions,
and the modules import it by name wherever it is on ``sys.path``.
"""
