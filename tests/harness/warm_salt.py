"""One Salt caller kept warm per boot: ``salt-call --local`` without its start-up cost.

Inside the user-mode-linux kernel a ``salt-call`` costs 6-10 s, nearly all of it
before the function runs: importing Salt, scanning the entry points, loading
grains, compiling pillar, building the loaders. This process pays that once, with
Salt's own classes and the same minion config as the ``salt-call`` it stands in for
(``salt.cli.call.SaltCall``'s option parser, ``salt.minion.SMinion``), then serves
calls. Each call runs in a fork of the warm process, through
``salt.cli.caller.BaseCaller.call`` (the code ``salt-call`` runs: argument parsing
with ``load_args_and_kwargs``, the executors, the retcode from ``__context__`` and
from a False ``result``), so one call's ``__context__``, opts and loaded modules
never leak into the next, as with separate ``salt-call`` processes.

The pillar is compiled again (a new ``SMinion``) whenever a file under the
minion's ``pillar_roots`` changed since the last call: a pillar step of a scenario
rewrites it, as a new ``salt-call`` would read it.

``python warm_salt.py --cli`` does the same for the ``salt`` command on a master
(``saltdaemons.SaltDaemons``): its imports paid once, each command the real
``salt.scripts.salt_main`` in a fork.

Protocol (the agent, ``agent.WarmSalt``): started as
``python warm_salt.py <config_dir>`` (or ``--cli``); prints ``{"ready": true, "seconds": s}``
once warm. Then, per line on stdin, ``{"argv": [fun, args...], "timeout": s,
"env": {...}}`` (``argv``: what follows ``salt`` with ``--cli``); per line on
stdout, ``{"rc": n, "stdout": text, "stderr": text}``: what the command printed
and its exit code.
"""

import json
import os
import signal
import sys
import tempfile
import time

SALT_CALL_OPTIONS = ["--local", "--out=json", "--log-level=quiet"]


def _pillar_fingerprint(opts):
    """(path, mtime, size) of every file under the minion's pillar roots."""
    seen = []
    for roots in (opts.get("pillar_roots") or {}).values():
        for root in roots:
            for directory, _dirs, files in os.walk(root):
                for name in files:
                    path = os.path.join(directory, name)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    seen.append((path, st.st_mtime_ns, st.st_size))
    return sorted(seen)


class WarmCaller:
    def __init__(self, config_dir):
        import salt.cli.call  # noqa: F401  (the imports are the point: paid once)
        import salt.cli.caller
        import salt.loader
        import salt.minion
        import salt.output
        import salt.state  # noqa: F401

        self.config_dir = config_dir
        self.salt = salt
        parser = salt.cli.call.SaltCall()
        # salt-call's own parse: the config file, --local, the output and log options
        parser.parse_args([*SALT_CALL_OPTIONS, f"--config-dir={config_dir}", "test.ping"])
        self.opts = parser.config
        self.opts["caller"] = True
        self.minion = None
        self.fingerprint = None
        self.refresh()

    def refresh(self):
        """A new minion (grains, pillar, loaders) when the pillar files changed."""
        fingerprint = _pillar_fingerprint(self.opts)
        if self.minion is not None and fingerprint == self.fingerprint:
            return
        salt = self.salt
        # Compiled from the files alone, as a new salt-call would: Salt merges the pillar
        # already in opts into the one it compiles (a key deleted from the files stayed).
        self.opts["pillar"] = {}
        self.minion = salt.minion.SMinion(self.opts)
        # Load what the calls run (this project's modules and states, the state system
        # and its renderers), so the imports behind them are paid here once; each call
        # still builds its own loaders, as salt-call does.
        for fun in ("test.ping", "state.high", "state.apply", "bond.status"):
            self.minion.functions[fun]  # noqa: B018
        renderers = salt.loader.render(self.opts, self.minion.functions)
        for name in ("jinja", "yaml", "json"):
            renderers[name]  # noqa: B018
        states = salt.loader.states(self.opts, self.minion.functions, self.minion.utils,
                                    self.minion.serializers)
        states["bond.reconciled"]  # noqa: B018
        self.fingerprint = fingerprint

    def call_in_child(self, argv):
        """Runs in the fork: one salt-call, printed as ``salt-call --out=json`` prints it;
        the process's exit code is salt-call's."""
        salt = self.salt
        caller = salt.cli.caller.ZeroMQCaller.__new__(salt.cli.caller.ZeroMQCaller)
        caller.opts = self.minion.opts
        caller.minion = self.minion
        caller.opts["fun"], caller.opts["arg"] = argv[0], list(argv[1:])
        caller.run()  # display_output and the sys.exit salt-call makes

    def serve(self, requests, responses):
        for line in requests:
            request = json.loads(line)
            self.refresh()
            answer = run_forked(self.call_in_child, request)
            responses.write(json.dumps(answer) + "\n")
            responses.flush()


def run_forked(call, request):
    """Run ``call(request["argv"])`` in a fork with its stdout and stderr captured, the request's
    environment and a deadline (SIGKILL after ``timeout``): ``{rc, stdout, stderr}``,
    ``rc`` what the call's ``sys.exit`` said (0 when it returned)."""
    out = tempfile.TemporaryFile(dir="/dev/shm")
    err = tempfile.TemporaryFile(dir="/dev/shm")
    pid = os.fork()
    if pid == 0:  # the child: one call, then gone without running the parent's atexit
        code = 1
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout = os.fdopen(1, "w", closefd=False)
            sys.stderr = os.fdopen(2, "w", closefd=False)
            if request.get("env") is not None:  # the call's whole environment, as a process
                os.environ.clear()                 # started for it would have
                os.environ.update(request["env"])
            call(request["argv"])
            code = 0
        except SystemExit as exc:
            if isinstance(exc.code, int) or exc.code is None:
                code = exc.code or 0
            else:  # sys.exit("message"): printed, exit code 1
                print(exc.code, file=sys.stderr)
        except BaseException:  # what the command would print as a traceback
            import traceback
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code & 0xFF)
    deadline = time.monotonic() + float(request.get("timeout", 300))
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.005)  # polling the child's exit; the answer is its status
    out.seek(0)
    err.seek(0)
    return {"rc": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace")}


class WarmCli:
    """A Salt command (``salt`` or ``salt-call``) with its imports paid once: each
    request runs the real entry point (``salt.scripts.salt_main`` / ``salt_call``: the
    option parser, the client or caller, the outputters and exit codes) in a fork,
    ``argv`` being what follows the command on its command line."""

    def __init__(self, command="salt"):
        # The imports are the point: paid once, here.
        import salt.cli.call  # noqa: F401
        import salt.cli.caller  # noqa: F401
        import salt.cli.salt  # noqa: F401
        import salt.client  # noqa: F401
        import salt.loader  # noqa: F401
        import salt.minion  # noqa: F401
        import salt.output  # noqa: F401
        import salt.pillar  # noqa: F401
        import salt.scripts
        import salt.state  # noqa: F401

        self.command = command
        self.entry = {"salt": salt.scripts.salt_main,
                      "salt-call": salt.scripts.salt_call}[command]

    def serve(self, requests, responses):
        for line in requests:
            request = json.loads(line)
            answer = run_forked(self._main, request)
            responses.write(json.dumps(answer) + "\n")
            responses.flush()

    def _main(self, argv):
        sys.argv = [self.command, *argv]
        self.entry()


def main(argv):
    began = time.monotonic()
    # Answers go on a copy of stdout: each child's stdout becomes a file of its own.
    responses = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    if argv[0] == "--cli":
        server = WarmCli(*argv[1:])
    else:
        server = WarmCaller(argv[0])
    responses.write(json.dumps({"ready": True,
                                "seconds": round(time.monotonic() - began, 2)}) + "\n")
    responses.flush()
    server.serve(sys.stdin, responses)


if __name__ == "__main__":
    main(sys.argv[1:])
