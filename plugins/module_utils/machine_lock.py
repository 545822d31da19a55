# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One change at a time to what the members on one machine share.

Several inventory hosts may be one machine (etcd_instance): Ansible runs their tasks at
once, and they share the etcd user, the release under install_dir and the firewall.
useradd refuses while another holds /etc/passwd, and two unpacks of one release would
rename over each other; a lock on the machine orders them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import fcntl
import os

LOCK_FILE = '/run/quorum-etcd-machine.lock'


@contextlib.contextmanager
def machine_lock(path=LOCK_FILE, take=True):
    """Hold an exclusive lock on the machine while the block runs. Without a writable /run
    (not root), the caller cannot change shared things either: it runs unlocked. take=False
    (check mode, which changes nothing) leaves the machine alone, lock file included."""
    if not take:
        yield
        return
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing gives the lock back
