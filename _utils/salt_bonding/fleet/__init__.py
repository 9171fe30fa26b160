"""The fleet view and the safe rollout: what the ``bond`` runner decides, as pure functions.

The runner (``_runners/bond.py``) only publishes jobs and gathers what the
minions return; everything it decides is here, with no Salt import:

    report.py     ``bond.report``: one row per minion from its ``bond.health`` and
                  ``bond.verify`` returns (or their absence), the verdicts, the
                  worst-first order, the summary and the exit code
    rollout.py    ``bond.rollout``: the waves (canary, then batches, in minion-id
                  order), whether one minion's ``state.apply`` return is a success,
                  when to stop, the preview of ``test=True``
    arguments.py  the runner's arguments checked, each error naming the argument
    text.py       what a terminal shows (the table), control characters escaped
    page.py       the HTML page: one self-contained file, every value escaped

What a minion returns is data from a machine that may be broken or hostile: it
is checked for shape before it is used, a return of the wrong shape becomes that
minion's ``unknown`` row with the reason, and text from it is only ever shown
escaped (``text.py``, ``page.py``).
"""
