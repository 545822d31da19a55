# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every problem of the mirror role's settings at once, before anything is laid down.

The filter is documented in plugins/filter/mirror_problems.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

_URL = re.compile(r'^https?://[^\s/]+/?$')
_BAD_KEY = re.compile('[\\s\'"\\\\%]')
_BAD_SECRET = re.compile('[\'\\\\\n\r]')
_SERVICE = re.compile(r'^[A-Za-z0-9_.@-]+$')


def _whole_seconds(value):
    try:
        return int(value) >= 1
    except (TypeError, ValueError):
        return False


def mirror_problems(settings):
    # Values as text, as Jinja's tests see them: a numeric password is a password.
    s = dict((k, v if isinstance(v, (list, dict, bool)) or v is None else str(v)) for k, v in (settings or {}).items())
    source, dest = list(s.get('source_urls') or []), list(s.get('dest_urls') or [])
    prefix = s.get('prefix') or ''
    problems = []
    if not source:
        problems.append('no client URLs for the primary (set etcd_mirror_source_endpoints, or put its members in '
                        'group %s and run the quorum.etcd.mirror playbook)' % s.get('source_group', 'etcd'))
    if not dest:
        problems.append('no client URLs for the standby (set etcd_mirror_dest_endpoints, or put its members in '
                        'group %s and run the quorum.etcd.mirror playbook)' % s.get('dest_group', 'standby'))
    bad_urls = [u for u in source + dest if not _URL.match(u)]
    if bad_urls:
        problems.append('endpoints must be http:// or https:// URLs without spaces: %s' % ', '.join(bad_urls))
    both = [u for u in source if u in dest]
    if both:
        problems.append('the source and the destination must be different clusters; both list %s' % ', '.join(both))
    if s.get('dest_prefix') and s.get('no_dest_prefix'):
        problems.append('set etcd_mirror_dest_prefix or etcd_mirror_no_dest_prefix, not both')
    if s.get('no_dest_prefix') and not prefix:
        problems.append('etcd_mirror_no_dest_prefix needs etcd_mirror_prefix: without a prefix there is nothing to '
                        'cut off')
    keys = [k for k in (prefix, s.get('dest_prefix') or '', s.get('heartbeat_key') or '') if _BAD_KEY.search(k)]
    if keys:
        problems.append('keys and prefixes may not hold spaces, quotes, backslashes or "%%": %s' % ', '.join(keys))
    if not (s.get('heartbeat_key') or '').startswith(prefix):
        problems.append('etcd_mirror_heartbeat_key %s must be under etcd_mirror_prefix %s, or the mirror would not '
                        'carry it' % (s.get('heartbeat_key'), prefix))
    if not _whole_seconds(s.get('heartbeat_interval', 1)) or not _whole_seconds(s.get('restart_sec', 1)):
        problems.append('etcd_mirror_heartbeat_interval (%s) and etcd_mirror_restart_sec (%s) must be whole seconds, '
                        'at least 1' % (s.get('heartbeat_interval'), s.get('restart_sec')))
    if not _SERVICE.match(s.get('service_name') or ''):
        problems.append('etcd_mirror_service_name %s may only use letters, digits, ".", "_", "@" and "-"'
                        % s.get('service_name'))
    if (s.get('source_password') and not s.get('source_user')) or (s.get('dest_password') and not s.get('dest_user')):
        problems.append('a password needs its user: set etcd_mirror_source_user / etcd_mirror_dest_user')
    secrets = [('etcd_mirror_source_user', s.get('source_user')), ('etcd_mirror_source_password', s.get('source_password')),
               ('etcd_mirror_dest_user', s.get('dest_user')), ('etcd_mirror_dest_password', s.get('dest_password')),
               ('TLS paths', ''.join(str(p) for p in s.get('tls_paths') or [] if p))]
    bad_secrets = [name for name, value in secrets if value and _BAD_SECRET.search(value)]
    if bad_secrets:
        problems.append('these values may not hold a single quote, a backslash or a line break (they go to systemd '
                        'environment files): %s' % ', '.join(bad_secrets))
    files = s.get('tls_files') or []
    missing = [f['src'] for f in files if f.get('src') and not os.path.isfile(f['src'])]
    if missing:
        problems.append('no such file on the controller: %s' % ', '.join(missing))
    twice = ['etcd_mirror_' + f['var'] for f in files if f.get('src') and f.get('path')]
    if twice:
        problems.append('give a file either on the controller (_src) or on the host, not both: %s' % ', '.join(twice))
    return problems
