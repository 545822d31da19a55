# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a quorum.etcd.member_files call would change, judged on the controller from what
quorum.etcd.host_info read: a run whose files all match skips the host call.

The filter is documented in plugins/filter/member_files_pending.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib


def _same_entry(found, spec, kind):
    if not found or found.get('type') != kind:
        return False
    try:
        mode_ok = int(found.get('mode'), 8) == int(spec['mode'], 8)
    except (TypeError, ValueError):
        return False
    return (mode_ok and found.get('owner') == spec.get('owner', 'root')
            and found.get('group') == spec.get('group', 'root'))


def member_files_pending(host_info, user=None, directories=None, files=None, secret_files=None, firewalld_ports=None):
    paths = (host_info or {}).get('paths') or {}
    pending = []
    if user:
        now = (host_info or {}).get('user') or {}
        wanted = dict(user, shell=user.get('shell') or '/usr/sbin/nologin')
        fields = ('name', 'group', 'home', 'shell')
        if [now.get(k) for k in fields] != [wanted.get(k) for k in fields]:
            pending.append('user %s' % user['name'])
    for spec in directories or []:
        if not _same_entry(paths.get(spec['path']), spec, 'directory'):
            pending.append(spec['path'])
    for spec in (files or []) + (secret_files or []):
        found = paths.get(spec['path'])
        digest = hashlib.sha1(spec['content'].encode('utf-8')).hexdigest()
        if not _same_entry(found, spec, 'file') or found.get('checksum') != digest:
            pending.append(spec['path'])
        elif spec.get('staged_as') and paths.get(spec['staged_as']):
            pending.append(spec['staged_as'])  # left by a run that stopped: removed
    open_now = (host_info or {}).get('firewalld_ports') or []
    pending.extend('firewalld port %s' % p for p in firewalld_ports or [] if p not in open_now)
    return pending
