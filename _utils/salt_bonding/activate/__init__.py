"""Activators: bringing a run's changes to the running system (siblings, one per back-end).

Only the interface exists yet; the back-ends (``kernel``: iproute2/sysfs in
place, ``ifup``: initscripts, ``nmcli``: NetworkManager) are added as sibling
modules, each an :class:`Activator`, chosen by the pillar's ``activate``.

The state module drives one activator per run, after the files are written
(``plan.apply`` returns a handle that can still roll them back)::

    operations = activator.plan(before, after, live)   # test=True reports these
    done = activator.run(operations)                   # raises SystemFailure
    problems = compare.compare(after, read_status())   # verify
    if problems: activator.undo(done); applied.rollback()
"""


class Activator:
    """The interface of every activation back-end."""

    name = None  # the pillar's value of ``activate``

    def refusals(self, config, path):
        """``[(pillar path, message)]``: why this back-end cannot work here, before any write."""
        return []

    def plan(self, before, after, live):
        """The ordered operations that take ``live`` from ``before`` to ``after`` (Configs).

        Bonds whose configuration did not change get none.
        """
        raise NotImplementedError

    def run(self, operations):
        """Run ``operations``; returns what was done, for :meth:`undo`."""
        raise NotImplementedError

    def undo(self, done):
        """Put the running system back as it was before :meth:`run`."""
        raise NotImplementedError


class FilesOnly(Activator):
    """``activate: none``: the files are written, the running system is left alone."""

    name = "none"

    def plan(self, before, after, live):
        return []

    def run(self, operations):
        return []

    def undo(self, done):
        return None


ACTIVATORS = {activator.name: activator for activator in (FilesOnly(),)}
