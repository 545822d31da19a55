# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock that keeps two runs of the collection's playbooks off one cluster at once.

A JSON file on one host of the cluster (the first one the run reaches), written by the run that
holds it and removed by that run when it ends, failed or not. A run killed before it could remove
it (the controller died) leaves it: it expires after its timeout, or the operator breaks it.
The file is created and replaced under an flock, so two runs that start together cannot both
take it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time


# The options that name a lock, for quorum.etcd.run_lock and host_info's lock option.
LOCK_OPTIONS = dict(
    path=dict(type='path', required=True),
    owner=dict(type='str', required=True),
    holder=dict(type='str', default=''),
    timeout=dict(type='int', default=7200),
    force=dict(type='bool', default=False),
)


class LockHeld(Exception):
    """Another run holds the lock: the message names it and says how to go on."""


@contextlib.contextmanager
def _guard(path):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with open(os.path.join(directory, '.%s.guard' % os.path.basename(path)), 'a') as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        yield


def read(path):
    """The lock's content, or None when there is none (a file that is not ours' JSON counts as none)."""
    try:
        with open(path) as f:
            held = json.load(f)
    except (OSError, ValueError):
        return None
    return held if isinstance(held, dict) and held.get('owner') else None


def acquire(path, owner, holder, timeout, force=False, check_mode=False, now=None):
    """Take the lock for ``owner`` (its description: ``holder``) for ``timeout`` seconds.

    Returns what the run should report: None when nothing stood in the way, or a sentence about the
    expired or broken lock it replaced. Raises LockHeld when another run holds it. In check mode
    the lock is only looked at."""
    now = time.time() if now is None else now
    if check_mode and not os.path.exists(path):
        return None  # nothing to look at, and check mode creates no directory
    with _guard(path):
        held = read(path)
        note = None
        if held and held['owner'] != owner:
            expires = float(held.get('expires') or 0)
            since = time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(float(held.get('since') or 0)))
            until = time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(expires))
            if expires > now and not force:
                raise LockHeld(
                    'another run holds the lock of this cluster (%s, since %s, until %s): %s; nothing was changed. '
                    'Wait for it to end; if it is gone (its controller stopped), set etcd_run_lock_break: true'
                    % (held.get('holder') or held['owner'], since, until, path))
            note = '%s lock of %s (%s, since %s)' % (
                'broke the' if expires > now else 'took over the expired', path, held.get('holder') or held['owner'],
                since)
        if check_mode:
            return note
        since = held['since'] if held and held['owner'] == owner else now
        _write(path, dict(owner=owner, holder=holder, since=since, expires=now + timeout))
        return note


def renew(path, owner, timeout, now=None):
    """Extend ``owner``'s lock to ``timeout`` seconds from now. Raises LockHeld when it no longer holds
    it: another run holds it, or it is gone (another run took it once it expired and gave it back)."""
    now = time.time() if now is None else now
    with _guard(path):
        held = read(path)
        if not held or held['owner'] != owner:
            raise LockHeld(
                '%s the lock %s while this run went on: this run\'s lock expired (etcd_run_lock_timeout) or was '
                'broken (etcd_run_lock_break). This run stops here'
                % ('another run (%s) took' % (held.get('holder') or held['owner']) if held else
                   'another run took and gave back', path))
        _write(path, dict(held, expires=now + timeout))


def _write(path, content):
    with open(path + '.tmp', 'w') as f:
        os.fchmod(f.fileno(), 0o600)
        json.dump(content, f)
    os.replace(path + '.tmp', path)


def release(path, owner):
    """Remove the lock if ``owner`` holds it; True when it was removed. Another run's lock stays."""
    with _guard(path):
        held = read(path)
        if not held or held['owner'] != owner:
            return False
        os.unlink(path)
        return True


def main(argv):
    """The roles run this file on the lock's host with ``python3 -c`` (no module to send):
    ``release PATH OWNER`` gives the lock back; ``renew PATH OWNER TIMEOUT`` extends this run's
    lock before each member restart, so that a long run keeps it, and exits 3 saying why when
    the run no longer holds it."""
    action, path, owner = argv[:3]
    if action == 'release':
        release(path, owner)
        return 0
    if action == 'renew':
        try:
            renew(path, owner, int(argv[3]))
        except LockHeld as e:
            # stdout: over ssh, raw runs on a terminal that merges stderr into stdout.
            sys.stdout.write('%s.\n' % e)
            return 3
        return 0
    sys.stderr.write('run_lock: unknown action %r\n' % action)
    return 2


if __name__ == '__main__':
    # Run as a script by the roles' raw tasks (see main), never as a module: its exit status is the answer.
    raise SystemExit(main(sys.argv[1:]))
