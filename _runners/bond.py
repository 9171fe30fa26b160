"""The bonds of the whole fleet, from the master: a report, and a rollout that stops.

``bond.report`` asks every targeted minion for ``bond.health`` and
``bond.verify`` (one publish each) and returns one row per minion, worst first;
``bond.rollout`` applies the ``bonding`` formula wave by wave and stops at the
first wave in which a minion failed or did not return. Both exit non-zero when
something is not right, so they serve as checks in CI and cron.

Served to the master like the other directories (``salt-run
saltutil.sync_all`` copies ``_runners/``, ``_output/`` and ``_utils/`` from
the file server into its ``extension_modules``), or installed with the
extension. The decisions live in the ``salt_bonding`` package
(``_utils/salt_bonding/fleet/``); this module only publishes, gathers and
writes.
"""

import datetime
import os
import time

import salt.client
import salt.exceptions
import salt.utils.atomicfile
import salt.utils.minions

try:  # synced: Salt puts extmods/utils on sys.path while it loads this module
    import salt_bonding

    salt_bonding = salt_bonding.current()  # not an older copy from before a sync
    from salt_bonding.fleet import arguments as _arguments
    from salt_bonding.fleet import page as _page
    from salt_bonding.fleet import report as _report
    from salt_bonding.fleet import rollout as _rollout
except ImportError as _exc:
    _IMPORT_ERROR = _exc
else:
    _IMPORT_ERROR = None

__virtualname__ = "bond"
_GET_IT = "salt-run saltutil.sync_all on a master serving _utils/, or pip install salt-bonding"
# The outputter (_output/bond.py) that shows these returns as tables when no --out is given.
_OUTPUTTER = "bond"
_SLS = "bonding"
_ROLLOUT_TIMEOUT = 300  # seconds a wave's minions have to return


def __virtual__():
    if _IMPORT_ERROR is not None:
        return (False, f"The bond runner needs the salt_bonding package ({_GET_IT}): "
                       f"{_IMPORT_ERROR}")
    return __virtualname__


def _shown(data, function):
    """``data`` for the CLI: with no ``--out`` given, ``salt-run`` shows it through the
    bond outputter (a table); with ``--out`` (and from Python) it is the plain data.

    The exit code, the same way on Salt 3006 and 3008 (``salt/cli/run.py``): ``salt-run``
    exits with the ``retcode`` of the returned dict (or of its ``data``, when it names an
    outputter). ``__context__["retcode"]`` only decides the job's ``success``, which an
    orchestration's ``salt.runner`` state reports as its result: both are set."""
    __context__["retcode"] = data["retcode"]
    if __opts__.get("output") or __opts__.get("fun") != f"bond.{function}":
        return data
    return {"outputter": _OUTPUTTER, "data": data}


def _refused(function, exc):
    return _shown({"error": f"bond.{function}: {exc}", "retcode": 1}, function)


def _client():
    return salt.client.get_local_client(mopts=__opts__)


def _expected(tgt, tgt_type):
    """The minion ids the target names, as the master knows them (accepted keys; for
    grain and pillar targets its minion data cache)."""
    found = salt.utils.minions.CkMinions(__opts__).check_minions(tgt, tgt_type, greedy=False)
    return sorted(found.get("minions") or [])


def _gather_salt_way(local, pub, tgt, tgt_type, minions, timeout, gather_job_timeout):
    """``{minion: {"ret", "retcode"}}`` for job ``pub``, waiting as the ``salt`` command
    does: ``timeout``, then as long as ``saltutil.find_job`` finds it still running."""
    found = {}
    if not pub or not minions:
        return found
    for item in local.get_iter_returns(pub["jid"], set(minions), timeout=timeout, tgt=tgt,
                                       tgt_type=tgt_type,
                                       gather_job_timeout=gather_job_timeout):
        for minion, entry in (item or {}).items():
            if minion in minions and isinstance(entry, dict) and "ret" in entry:
                found[minion] = {"ret": entry["ret"], "retcode": entry.get("retcode")}
    return found


def _gather_until(local, jid, minions, timeout):
    """``{minion: {"ret", "retcode"}}`` of the returns of job ``jid`` from ``minions`` that
    arrive within ``timeout`` seconds: a hard deadline (a minion a change cut off is
    waited for no longer, whatever ``saltutil.find_job`` would say)."""
    found = {}
    wanted = set(minions)
    deadline = time.monotonic() + timeout
    prefix = f"salt/job/{jid}/ret/"
    for raw in local.get_returns_no_block(f"salt/job/{jid}"):
        if raw is not None and str(raw.get("tag", "")).startswith(prefix):
            data = raw.get("data") or {}
            if data.get("id") in wanted and "return" in data:
                found[data["id"]] = {"ret": data["return"], "retcode": data.get("retcode")}
        if wanted <= set(found) or time.monotonic() > deadline:
            break
    local.event.unsubscribe(f"salt/job/{jid}")
    return found


class _NotPublished(Exception):
    """The master did not take the job (not running, refused it): why."""


def _publish(local, tgt, fun, arg=(), tgt_type="glob", kwarg=None, timeout=None):
    try:
        return local.run_job(tgt, fun, arg=list(arg), tgt_type=tgt_type, kwarg=kwarg,
                             timeout=timeout, listen=True) or {}
    except salt.exceptions.SaltException as exc:
        what = " and ".join(fun) if isinstance(fun, list) else fun
        raise _NotPublished(f"the master did not publish {what}: {exc}") from None


def _write_html(path, data):
    generated = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    try:
        with salt.utils.atomicfile.atomic_open(path, "w") as handle:
            handle.write(_page.render(data, generated))
        os.chmod(path, 0o644)
    except OSError as exc:
        raise _arguments.ArgumentError(f"html: cannot write {path}: "
                                       f"{exc.strerror or exc}") from None


def report(tgt="*", tgt_type="glob", html=None, timeout=None, gather_job_timeout=None,
           key="bonding", **kwargs):
    """
    Which minions have a bond problem right now: one row per targeted minion, worst first.

    One publish to the target runs ``bond.health`` and ``bond.verify`` (one job
    of both functions: one process on each minion, one return). Each
    row has the minion's status (worst first: ``down``, ``no answer``, ``unknown``,
    ``degraded``, ``drifted``, ``ok``) and its bonds with their problems, slaves
    and drift from pillar. A minion the target names (its key accepted) that
    returns nothing within the timeout is ``no answer``; one whose return is not
    what the functions return (an error, a module that is not synced) is
    ``unknown`` with the reason. ``retcode`` (the exit code of ``salt-run``) is 1
    unless every minion is ok.

    tgt
        The minions (default ``*``).
    tgt_type
        How ``tgt`` is read: ``glob`` (default), ``list``, ``grain``, ``pillar``,
        ``compound``, ``pcre``, ``nodegroup``, ... as in Salt.
    html
        Also write the report to this file: one self-contained HTML page.
    timeout, gather_job_timeout
        As for the ``salt`` command (default: the master's ``timeout`` and
        ``gather_job_timeout``): how long to wait for returns, and for a minion to
        say it is still running the job.
    key
        The pillar key of the bonds (default ``bonding``).

    CLI Example:

    .. code-block:: bash

        salt-run bond.report
        salt-run bond.report tgt='web*' html=/var/www/html/bonds.html
        salt-run bond.report tgt='bonds:bond0:mode:802.3ad' tgt_type=grain --out=json
    """
    try:
        _arguments.unknown(kwargs, ("tgt", "tgt_type", "html", "timeout",
                                    "gather_job_timeout", "key"))
        tgt = _arguments.tgt(tgt)
        tgt_type = _arguments.tgt_type(tgt_type)
        html = _arguments.html_path(html)
        timeout = _arguments.seconds("timeout", timeout, __opts__["timeout"])
        gather_job_timeout = _arguments.seconds("gather_job_timeout", gather_job_timeout,
                                                __opts__["gather_job_timeout"])
        if not isinstance(key, str) or not key:
            raise _arguments.ArgumentError(f"key: {key!r} is not a pillar key")
    except _arguments.ArgumentError as exc:
        return _refused("report", exc)
    target = {"tgt": tgt, "tgt_type": tgt_type}
    expected = _expected(tgt, tgt_type)
    if not expected:  # nothing to publish to; a fleet check that checks nothing fails
        return _shown(_report.build([], {}, "", target, pillar_key=key), "report")
    with _client() as local:
        # One job runs both functions on each minion (one process there, one return):
        # two jobs cost twice the publishes, forks and returns (benchmarks/bench_report.py).
        try:
            pub = _publish(local, tgt, list(_report.FUNCTIONS), tgt_type=tgt_type, arg=[
                [{"key": key, "detail": True, "__kwarg__": True}],
                [{"name": key, "__kwarg__": True}]])
        except _NotPublished as exc:
            return _refused("report", exc)
        minions = set(expected) | set(pub.get("minions") or [])
        returns = _gather_salt_way(local, pub, tgt, tgt_type, minions, timeout,
                                   gather_job_timeout)
    why = f"no return within the timeout ({timeout} s, gather_job_timeout {gather_job_timeout} s)"
    data = _report.build(expected, returns, why, target, pillar_key=key)
    if html:
        try:
            _write_html(html, data)
        except _arguments.ArgumentError as exc:
            return _refused("report", exc)
        data["html"] = html
    return _shown(data, "report")


def rollout(tgt=None, tgt_type="glob", batch="10%", canary=1, timeout=_ROLLOUT_TIMEOUT,
            test=False, **kwargs):
    """
    Apply the ``bonding`` formula wave by wave, and stop at the first wave that fails.

    The targeted minions, in minion-id order: first ``canary`` minions alone, then
    waves of ``batch``. Each wave runs ``state.apply bonding``; every minion in
    it must return within ``timeout`` seconds with ``result: True`` for every
    state (and every bond brought live verified). A minion that returns nothing
    in time has failed: a change that cut a host off is caught like one that was
    refused. After the first wave with a failure no later wave is started.

    The return lists the minions ``applied`` (with how many files and live
    operations changed), ``failed`` (with why: the state's comment, or "did not
    return within N s") and ``never_started``; ``retcode`` (the exit code of
    ``salt-run``) is 1 when it stopped.

    tgt
        The minions (required).
    tgt_type
        How ``tgt`` is read: ``glob`` (default), ``list``, ``grain``, ``compound``, ...
        Grain and pillar targets are resolved from the master's minion data cache.
    batch
        Minions per wave after the canary: a number, or a percentage of the
        targeted minions (default ``10%``, rounded up).
    canary
        How many minions go first, alone (default 1; 0: none).
    timeout
        Seconds a wave's minions have to return (default 300).
    test
        ``True``: no waves; the whole target runs ``state.apply bonding test=True``
        in one publish, and the return says per minion how many files and live
        operations would change (``preview``), and which would fail (``failed``;
        ``retcode`` 1 when any would).

    CLI Example:

    .. code-block:: bash

        salt-run bond.rollout tgt='*' test=True
        salt-run bond.rollout tgt='web*' batch=10% canary=1 timeout=120
        salt-run bond.rollout tgt='G@os_family:RedHat' tgt_type=compound batch=5
    """
    try:
        _arguments.unknown(kwargs, ("tgt", "tgt_type", "batch", "canary", "timeout", "test"))
        tgt = _arguments.tgt(tgt, required=True)
        tgt_type = _arguments.tgt_type(tgt_type)
        batch = _arguments.batch(batch)
        canary = _arguments.count("canary", canary, 0)
        timeout = _arguments.seconds("timeout", timeout, _ROLLOUT_TIMEOUT)
        test = _arguments.switch("test", test)
    except _arguments.ArgumentError as exc:
        return _refused("rollout", exc)
    target = {"tgt": tgt, "tgt_type": tgt_type}
    minions = _expected(tgt, tgt_type)
    if not minions:
        return _refused("rollout", f"tgt: {tgt!r} ({tgt_type}) matches no minion whose key "
                                   "the master has accepted")
    with _client() as local:
        if test:
            try:
                pub = _publish(local, minions, "state.apply", [_SLS], tgt_type="list",
                               kwarg={"test": True})
            except _NotPublished as exc:
                return _refused("rollout", exc)
            returns = _gather_until(local, pub["jid"], minions, timeout) if pub else {}
            would, failed = _rollout.preview(minions, returns, timeout, pub.get("jid"))
            return _shown(_rollout.preview_dict(would, failed, target, pub.get("jid")),
                          "rollout")

        def apply_wave(wave):
            try:
                pub = _publish(local, wave.minions, "state.apply", [_SLS], tgt_type="list")
            except _NotPublished as exc:  # this wave fails, with why; none later starts
                return {minion: {"ret": str(exc)} for minion in wave.minions}, None
            if not pub:
                return {}, None
            return _gather_until(local, pub["jid"], wave.minions, timeout), pub["jid"]

        result = _rollout.run(_rollout.waves(minions, canary, batch), apply_wave, timeout)
    return _shown(_rollout.as_dict(result, target), "rollout")
