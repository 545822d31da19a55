# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every problem of the backup role's settings and host at once, before anything is installed.

The filter is documented in plugins/filter/backup_problems.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

_CLUSTER_NAME = re.compile(r'^[A-Za-z0-9._-]+$')
_SERVICE = re.compile(r'^[A-Za-z0-9_.@-]+$')
_CLIENT_URL = re.compile(r'^https?://[^/,\s]+/?$')
_S3_URL = re.compile(r'^https?://[^/\s]+')
_BUCKET = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
_REGION = re.compile(r'^[a-z0-9-]+$')
_S3_PREFIX = re.compile(r'^[A-Za-z0-9!_.*()/-]*$')
# The keys go to the script's environment file between double quotes.
_S3_KEY = re.compile(r'^[^\s"\\]+$')


def _number(value):
    """The whole number Ansible's int filter reads from a value, 0 when it reads none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _text(value):
    return '' if value is None else str(value)


def _absolute(path):
    return path.startswith('/') and len(path) > 1


def _quoted(s, name):
    """The value as the user wrote it, quoted: an empty or blank one shows."""
    return json.dumps(s.get(name))


def _settings_problems(s):
    problems = []
    if not _CLUSTER_NAME.match(_text(s.get('cluster_name'))):
        problems.append('etcd_backup_cluster_name %s must be letters, digits, dots, dashes and underscores (it names '
                        'the snapshot files).' % _quoted(s, 'cluster_name'))
    backup_dir = _text(s.get('dir'))
    if not _absolute(backup_dir) or not backup_dir.rstrip('/'):
        problems.append('etcd_backup_dir %s must be an absolute path other than /.' % _quoted(s, 'dir'))
    if s.get('textfile_dir') and not _absolute(_text(s['textfile_dir'])):
        problems.append('etcd_backup_textfile_dir %s must be an absolute path or empty.' % _quoted(s, 'textfile_dir'))
    for name, least, unit in (('keep', 1, ''), ('timeout', 1, ' second'), ('min_free_mb', 0, ''),
                              ('unit_timeout', 1, ' second')):
        if _number(s.get(name)) < least:
            problems.append('etcd_backup_%s %s must be %d%s or more.' % (name, s.get(name), least, unit))
    if s.get('calendar_error') is not None:
        problems.append('etcd_backup_on_calendar %s is not a systemd calendar event (systemd-analyze calendar: %s).'
                        % (_quoted(s, 'on_calendar'), _text(s['calendar_error']).strip()))
    if not _SERVICE.match(_text(s.get('service_name'))):
        problems.append('etcd_backup_service_name %s is not a unit name.' % _quoted(s, 'service_name'))
    for url in s.get('endpoints') or []:
        if not _CLIENT_URL.match(_text(url)):
            problems.append('etcd_backup_endpoints holds %s: give client URLs such as https://10.0.0.11:2379.'
                            % json.dumps(url))
    return problems


def _host_problems(s):
    """What the host lacks. In check mode a new host has no etcd yet: the deploy before the role would install it."""
    if s.get('check_mode'):
        return []
    problems = []
    if not s.get('etcdctl_found'):
        problems.append('etcdctl is not at %s; deploy etcd here first (quorum.etcd.deploy) or set etcd_backup_etcdctl.'
                        % s.get('etcdctl'))
    if not s.get('endpoints') and not s.get('advertised'):
        problems.append('etcd_backup_endpoints is empty and %s has no ETCD_ADVERTISE_CLIENT_URLS: run the backup on a '
                        'member, or list the client URLs in etcd_backup_endpoints.' % s.get('etcd_config'))
    return problems


def _s3_problems(s):
    if not s.get('s3_enabled'):
        return []
    problems = []
    if not _S3_URL.match(_text(s.get('s3_url'))):
        problems.append('etcd_backup_s3_url %s must be an http(s) URL such as https://s3.eu-west-1.amazonaws.com.'
                        % _quoted(s, 's3_url'))
    if not _BUCKET.match(_text(s.get('s3_bucket'))):
        problems.append('etcd_backup_s3_bucket %s is not a bucket name (3 to 63 lowercase letters, digits, dots and '
                        'dashes).' % _quoted(s, 's3_bucket'))
    if not _REGION.match(_text(s.get('s3_region'))):
        problems.append('etcd_backup_s3_region %s is not a region such as us-east-1.' % _quoted(s, 's3_region'))
    if _number(s.get('s3_attempts')) < 1 or _number(s.get('s3_keep')) < 0:
        problems.append('etcd_backup_s3_attempts %s must be 1 or more and etcd_backup_s3_keep %s 0 or more.'
                        % (s.get('s3_attempts'), s.get('s3_keep')))
    prefix = _text(s.get('s3_prefix'))
    if not _S3_PREFIX.match(prefix) or '..' in prefix:
        problems.append('etcd_backup_s3_prefix %s may hold only letters, digits and !_.*()/- (no ..).'
                        % _quoted(s, 's3_prefix'))
    # Neither key's value is ever printed.
    if not _S3_KEY.match(_text(s.get('s3_access_key'))) or not _S3_KEY.match(_text(s.get('s3_secret_key'))):
        problems.append('etcd_backup_s3_access_key and etcd_backup_s3_secret_key must both be set, without spaces, '
                        'quotes or backslashes.')
    return problems


def backup_problems(settings):
    s = settings or {}
    return _settings_problems(s) + _host_problems(s) + _s3_problems(s)
