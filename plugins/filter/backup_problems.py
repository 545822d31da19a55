# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every problem of the backup role's settings and host at once, before anything is installed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: backup_problems
short_description: Every problem of the backup role's settings and host, each naming its variable and value
version_added: 0.1.0
description:
  - Takes the backup's settings and what the host showed (the keys below) and returns one message per problem;
    empty when the backup may be installed. Messages never hold the S3 keys' values.
  - The backup role's preflight uses it.
positional: ''
options:
  _input:
    description:
      - The settings without their C(etcd_backup_) prefix - C(cluster_name), C(dir), C(textfile_dir), C(keep),
        C(timeout), C(min_free_mb), C(unit_timeout), C(on_calendar), C(service_name), C(endpoints), C(etcdctl),
        C(etcd_config), C(s3_enabled), C(s3_url), C(s3_bucket), C(s3_region), C(s3_attempts), C(s3_keep),
        C(s3_prefix), C(s3_access_key), C(s3_secret_key).
      - What the host showed - C(calendar_error) (what C(systemd-analyze calendar) said against C(on_calendar), or
        null when it accepted it), C(etcdctl_found), C(advertised) (whether C(etcd_config) sets
        C(ETCD_ADVERTISE_CLIENT_URLS)) and C(check_mode) (a new host has no etcd yet in check mode, so what it
        lacks is not a problem then).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Refuse bad settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ {'cluster_name': 'etcd', 'dir': '/var/lib/etcd-backup', 'keep': 0} | quorum.etcd.backup_problems }}"
'''

RETURN = r'''
_value:
  description: The problems, the settings' first, then the host's, then the S3 upload's.
  type: list
  elements: str
'''

from ansible_collections.quorum.etcd.plugins.plugin_utils.deferred import deferred

backup_problems = deferred('backup_problems', 'backup_problems')


class FilterModule(object):
    def filters(self):
        return {'backup_problems': backup_problems}
