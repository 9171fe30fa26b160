"""The errors this package raises on purpose, by who must act.

- :class:`UserError`: the user must act (bad input, a file this module may not
  touch, a bond that is not there). The message says what and where; the Salt
  shells report it as a failed state or a command error, without a traceback.
- :class:`SystemFailure`: the system failed (a write, a read, a directory that
  cannot be listed). The message says what failed and what was put back.

Anything else (a ``ValueError`` from our own code, say) is a bug and is left to
propagate, so it is never reported to the user as bad input.
"""


class BondingError(Exception):
    """Base of the errors this package raises on purpose."""


class UserError(BondingError):
    """The user must act. ``errors``: ``[(where, message)]``, where is a pillar path or a file."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(f"{where}: {message}" for where, message in self.errors))

    def __reduce__(self):
        return (type(self), (self.errors,))


class UnknownBondError(UserError, LookupError):
    """A bond name that is not on this host."""

    def __init__(self, name, existing):
        self.name = name
        self.existing = list(existing)
        known = ", ".join(self.existing) if self.existing else "none"
        super().__init__([("name", f"no bond named {name!r} on this host (bonds: {known})")])

    def __str__(self):
        return self.errors[0][1]

    def __reduce__(self):
        return (type(self), (self.name, self.existing))


class RootError(UserError):
    """A minion option (``bond.procfs``, ``bond.sysfs``) set to what is not a readable directory."""

    def __init__(self, option, message):
        self.option = option
        super().__init__([(f"minion option {option}", message)])

    def __str__(self):
        return self.errors[0][1]

    def __reduce__(self):
        return (type(self), (self.option, self.errors[0][1]))


class SystemFailure(BondingError):
    """The system failed; what was changed has been put back, or the message says not."""


class TreeError(SystemFailure):
    """A status directory (procfs root) that exists but cannot be listed."""


class FilesError(SystemFailure):
    """A write or removal failed; what was already changed has been restored (or not: said so).

    ``path``: the path that failed, ``reason``: why, ``restored``: paths put
    back, ``rollback_errors``: ``{path: reason}`` of paths that could not be.
    """

    def __init__(self, path, action, reason, restored=(), rollback_errors=None):
        self.path = path
        self.action = action
        self.reason = reason
        self.restored = list(restored)
        self.rollback_errors = dict(rollback_errors or {})
        message = f"could not {action} {path}: {reason}"
        if self.rollback_errors:
            failed = "; ".join(f"{p}: {r}" for p, r in self.rollback_errors.items())
            message += f"; ROLLBACK INCOMPLETE, could not restore {failed}"
        elif self.restored:
            message += f"; the {len(self.restored)} file(s) already changed were restored"
        else:
            message += "; nothing had been changed"
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (self.path, self.action, self.reason, self.restored,
                             self.rollback_errors))
