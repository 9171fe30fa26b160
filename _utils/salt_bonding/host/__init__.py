"""The minion as a host: what runs there, and the ways this package touches it.

- ``platform.py``: which files the minion's network stack reads (its generation, the
  services); ``competing.py``: other profiles for our interfaces;
- ``networkmanager.py``: making a running NetworkManager load changed files;
- ``netlink.py``: the kernel over rtnetlink, in-process; ``links.py``: a running bond
  as a ``config.model.Bond``;
- ``files.py``: the files of one run, planned, diffed and applied all or nothing
  (``atomic.py``: each file written whole or not at all);
  ``regular.py``: reading only regular files, never blocking;
- ``lock.py``: one run at a time per host; ``copies.py``: the modules both synced and
  installed.

A new host probe (something that asks the minion what it runs or has) goes here.
"""
