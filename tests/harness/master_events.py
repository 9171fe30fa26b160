"""Every event on a salt-master's bus, as JSON lines: what ``salt-run state.event`` shows.

    python master_events.py <master config dir> <output file>

Run with the virtualenv's Python (``fleet_inside.py`` starts it beside the
daemons, in the master's network namespace). Each line is ``{"tag", "data",
"received"}``: ``received`` is ``time.time()`` when this listener got it, and
``data["_stamp"]`` the master's own time (UTC) when it put the event on its
bus. The first line, tag :data:`READY`, says the listener is subscribed:
every event fired after it is in the file. Runs until killed.
"""

import json
import sys
import time
from pathlib import Path

import salt.config
import salt.utils.event

READY = "master_events/listening"


def main(config_dir, out_path):
    opts = salt.config.client_config(str(Path(config_dir) / "master"))
    bus = salt.utils.event.get_master_event(opts, opts["sock_dir"], listen=True)
    while not bus.connect_pub(timeout=5):
        time.sleep(0.5)
    with open(out_path, "a") as out:
        def write(tag, data):
            out.write(json.dumps({"tag": tag, "data": data, "received": time.time()},
                                 default=repr) + "\n")
            out.flush()

        write(READY, {})
        while True:
            event = bus.get_event(wait=5, full=True)
            if event:
                write(event["tag"], event["data"])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
