#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: snapshot
short_description: Save a verified snapshot of an etcd cluster, or verify a snapshot file
version_added: 0.1.0
description:
  - With O(state=saved), saves a snapshot of the etcd database into O(path) on the host that runs the module, like
    C(etcdctl snapshot save), then verifies it.
  - The snapshot comes from a healthy follower when one answers, so that the leader is not loaded with it. The
    status of every endpoint of O(endpoints) is asked, members that know no leader are skipped, the followers come
    first (the most up to date first) and the leader last.
  - The snapshot is written to a temporary file in the directory of O(path), verified, and only then renamed to
    O(path); there is never a partial file at O(path).
  - With O(state=verified), only verifies the existing file at O(path) and fails when it is missing or corrupt; a
    restore uses this to refuse a bad snapshot before it stops any member.
  - "Verification: the file must end with the SHA-256 of the database that etcd appends to every snapshot it streams
    (checked by the module itself, so a truncated or altered file fails), and C(etcdutl snapshot status) (etcd 3.5 and
    later) or C(etcdctl snapshot status) (etcd 3.4) must read it and report its hash, revision and key count."
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description: Finds the member the snapshot would come from and reports it; writes nothing. With
      O(state=verified) the file is verified as usual, since that changes nothing.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
options:
  state:
    description:
      - V(saved) saves a new snapshot into O(path), unless a valid snapshot is there already and O(force) is false.
      - V(verified) only verifies the file at O(path).
    type: str
    choices: [saved, verified]
    default: saved
  path:
    description:
      - The snapshot file on the host that runs the module. Its directory must exist.
    type: path
    required: true
  force:
    description:
      - With O(state=saved), save a new snapshot even when O(path) already holds a valid one, and replace it.
      - When false, an existing valid snapshot at O(path) is left alone and reported (the module is idempotent);
        an existing file that does not verify makes the module fail without touching it.
    type: bool
    default: false
  mode:
    description:
      - Permissions of the saved snapshot. A snapshot holds every key and value of the cluster, secrets included.
    type: str
    default: '0600'
  min_free_mb:
    description:
      - MiB that must stay free in the directory of O(path) once the snapshot is written. A snapshot is about as
        large as the member's database (its C(dbSize)); when less would be left, nothing is written and the module
        fails, naming the free space and the database size.
      - V(0) only requires room for the snapshot itself.
    type: int
    default: 256
  etcdutl:
    description:
      - Path of C(etcdutl), used for C(etcdutl snapshot status). When it does not exist (etcd 3.4 has no etcdutl),
        O(etcdctl) is used instead.
    type: path
    default: /usr/local/bin/etcdutl
  etcdctl:
    description:
      - Path of C(etcdctl), used for C(etcdctl snapshot status) when O(etcdutl) does not exist.
    type: path
    default: /usr/local/bin/etcdctl
requirements:
  - C(etcdutl) or C(etcdctl) on the host that runs the module, to read the snapshot's status.
notes:
  - The snapshot is streamed from etcd's JSON gateway (C(/v3/maintenance/snapshot)) with the same connection options
    as every other module of the collection, so the chosen member is exactly the one asked, and etcdctl's own
    endpoint handling and TLS flags are not needed.
  - Give the client URLs of all members in O(endpoints), so that a follower can be chosen.
seealso:
  - module: quorum.etcd.cluster_info
  - name: etcd disaster recovery
    description: How etcd snapshots are saved and restored.
    link: https://etcd.io/docs/v3.5/op-guide/recovery/
'''

EXAMPLES = r'''
- name: Save a snapshot from a follower
  quorum.etcd.snapshot:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/admin.crt
    client_key: /etc/etcd/pki/admin.key
    path: /var/lib/etcd-backup/main-20260101T000000Z.db
  register: snap

- name: Show where it came from
  ansible.builtin.debug:
    msg: "revision {{ snap.revision }} from {{ snap.member.name }}, {{ snap.size }} bytes, sha256 {{ snap.sha256 }}"

- name: Refuse a missing or corrupt snapshot before a restore
  quorum.etcd.snapshot:
    state: verified
    path: /var/lib/etcd-backup/main-20260101T000000Z.db
'''

RETURN = r'''
path:
  description: The snapshot file.
  returned: always
  type: str
  sample: /var/lib/etcd-backup/main-20260101T000000Z.db
size:
  description: Size of the file in bytes, the trailing SHA-256 included.
  returned: when a snapshot was saved or verified
  type: int
  sample: 20512
sha256:
  description: SHA-256 of the whole file, as C(sha256sum) prints it.
  returned: when a snapshot was saved or verified
  type: str
  sample: 4f0d1c7e9b4c2f6e3fbb0c2b3bd5e2b4a1c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4
hash:
  description: The database hash that C(snapshot status) reports.
  returned: when a snapshot was saved or verified
  type: int
  sample: 3004748009
revision:
  description: The revision of the store in the snapshot.
  returned: when a snapshot was saved or verified
  type: int
  sample: 2
total_keys:
  description: Keys in the database file, etcd's internal ones included, as C(snapshot status) counts them.
  returned: when a snapshot was saved or verified
  type: int
  sample: 7
total_size:
  description: Size of the database in bytes, as C(snapshot status) reports it.
  returned: when a snapshot was saved or verified
  type: int
  sample: 20480
member:
  description: The member the snapshot came from (or, in check mode, would come from); null with O(state=verified)
    and when an existing snapshot was kept.
  returned: always
  type: dict
  contains:
    name:
      description: Member name.
      type: str
      sample: etcd2
    id:
      description: Member ID in hex.
      type: str
      sample: 91bc3c398fb3c146
    endpoint:
      description: The endpoint the snapshot was streamed from.
      type: str
      sample: https://10.0.0.12:2379
    is_leader:
      description: Whether it was the leader (only when no follower answered).
      type: bool
      sample: false
etcd_version:
  description: etcd version of that member; null when no member was asked.
  returned: always
  type: str
  sample: 3.5.1
tool:
  description: The command that read the snapshot's status.
  returned: when a snapshot was saved or verified
  type: str
  sample: /usr/local/bin/etcdutl
actions:
  description: What was done, or in check mode what would be done; empty when nothing was saved.
  returned: always
  type: list
  elements: str
  sample: ["Saved a snapshot of revision 2 from etcd2 (ID 91bc3c398fb3c146) to /var/lib/etcd-backup/x.db."]
'''

import hashlib
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
)

# etcd appends the SHA-256 of the database to every snapshot it streams; the database is a
# bbolt file made of whole pages, so a snapshot's size is 32 more than a multiple of 512
# (the same test etcd's own restore makes before it checks the hash).
_SHA_SIZE = 32
_CHUNK = 1024 * 1024


class SnapshotInvalid(Exception):
    """The file is missing, truncated, altered or unreadable as an etcd snapshot."""


def check_trailer(path):
    """Check the trailing SHA-256; returns (size, sha256 hex of the whole file)."""
    if not os.path.exists(path):
        raise SnapshotInvalid('%s does not exist.' % path)
    if not os.path.isfile(path):
        raise SnapshotInvalid('%s is not a regular file.' % path)
    size = os.path.getsize(path)
    if size <= _SHA_SIZE or size % 512 != _SHA_SIZE:
        raise SnapshotInvalid('%s is not a whole etcd snapshot: its size, %d bytes, is not a database of whole pages '
                              'followed by a 32-byte SHA-256; the file is truncated, or it is not a snapshot saved '
                              'from etcd.' % (path, size))
    whole, database = hashlib.sha256(), hashlib.sha256()
    left = size - _SHA_SIZE
    with open(path, 'rb') as snapshot:
        while left:
            chunk = snapshot.read(min(_CHUNK, left))
            if not chunk:
                raise SnapshotInvalid('%s got shorter while it was read.' % path)
            left -= len(chunk)
            whole.update(chunk)
            database.update(chunk)
        trailer = snapshot.read(_SHA_SIZE)
    whole.update(trailer)
    if database.digest() != trailer:
        raise SnapshotInvalid('%s is corrupt: the SHA-256 of its database is %s, but the snapshot says %s.'
                              % (path, database.hexdigest(), trailer.hex()))
    return size, whole.hexdigest()


def status_tool(module):
    """The etcdutl or etcdctl to read snapshot status with; fails when neither exists."""
    for option in ('etcdutl', 'etcdctl'):
        path = module.params[option]
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    module.fail_json(msg='Neither etcdutl (%s) nor etcdctl (%s) is an executable file on this host; one of them is '
                         'needed to read the snapshot status. Install etcd there or set the etcdutl or etcdctl option.'
                     % (module.params['etcdutl'], module.params['etcdctl']), changed=False, actions=[],
                     path=module.params['path'], member=None, etcd_version=None)


def read_status(module, tool, path):
    """`<tool> snapshot status -w json`: {hash, revision, total_keys, total_size}."""
    rc, out, err = module.run_command([tool, 'snapshot', 'status', '-w', 'json', path],
                                      environ_update={'LC_ALL': 'C', 'ETCDCTL_API': '3'})
    if rc != 0:
        raise SnapshotInvalid('%s snapshot status could not read %s (exit %s): %s'
                              % (tool, path, rc, (err or out).strip()[-500:]))
    try:
        # etcdctl 3.5 warns on stdout's first lines that etcdutl should be used: the JSON is the last line.
        status = json.loads(out.strip().splitlines()[-1])
        return dict(hash=int(status['hash']), revision=int(status['revision']),
                    total_keys=int(status['totalKey']), total_size=int(status['totalSize']))
    except (ValueError, KeyError, IndexError, TypeError):
        raise SnapshotInvalid('%s snapshot status gave no figures for %s: %s' % (tool, path, out.strip()[-500:]))


def verify(module, tool, path):
    size, sha256 = check_trailer(path)
    figures = read_status(module, tool, path)
    figures.update(path=path, size=size, sha256=sha256, tool=tool)
    return figures


def candidates(client, endpoints):
    """Members that can give a snapshot, followers first (most applied first), the leader last.

    Returns (candidates, problems): each candidate is a dict of status() plus 'is_leader';
    members that do not answer or know no leader are left out and named in problems."""
    found, problems = {}, []
    for endpoint in endpoints:
        try:
            status = client.status(endpoint)
        except EtcdError as e:
            problems.append(str(e))
            continue
        if status['leader'] in (None, '0'):
            problems.append('%s knows no leader' % endpoint)
            continue
        if status['member_id'] not in found:
            found[status['member_id']] = dict(status, is_leader=status['member_id'] == status['leader'])
    ordered = sorted(found.values(), key=lambda s: (s['is_leader'], s['is_learner'], -s['raft_applied_index']))
    return ordered, problems


def free_space_problem(directory, db_size, min_free_mb):
    """Why a snapshot of a db_size database would not fit in directory with min_free_mb left, or None."""
    stat = os.statvfs(directory)
    free, reserve = stat.f_bavail * stat.f_frsize, max(0, min_free_mb) << 20
    if free >= db_size + reserve:
        return None
    return ('%s has %d MiB free; a snapshot of the %d MiB database would leave less than min_free_mb %d MiB: nothing '
            'was written. Free space there, or compact and defragment the database.'
            % (directory, free >> 20, -(-db_size >> 20), reserve >> 20))


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        state=dict(type='str', default='saved', choices=['saved', 'verified']),
        path=dict(type='path', required=True),
        force=dict(type='bool', default=False),
        mode=dict(type='str', default='0600'),
        min_free_mb=dict(type='int', default=256),
        etcdutl=dict(type='path', default='/usr/local/bin/etcdutl'),
        etcdctl=dict(type='path', default='/usr/local/bin/etcdctl'),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    params = module.params
    path = params['path']
    result = dict(changed=False, actions=[], path=path, member=None, etcd_version=None)

    def fail(msg):
        module.fail_json(msg=msg, **result)

    try:
        mode = int(params['mode'], 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        fail('mode %r is not a file mode: give octal permissions such as 0600.' % params['mode'])
    tool = status_tool(module)

    if params['state'] == 'verified' or (os.path.exists(path) and not params['force']):
        try:
            result.update(verify(module, tool, path))
        except SnapshotInvalid as e:
            if params['state'] == 'verified':
                fail('The snapshot is not usable: %s' % e)
            fail('%s exists but is not a valid snapshot, so it was left alone: %s Move it away, or set force: true '
                 'to replace it.' % (path, e))
        module.exit_json(**result)

    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        fail('The directory of %s does not exist; create %s first.' % (path, directory))
    if os.path.isdir(path):
        fail('%s is a directory; path must name the snapshot file.' % path)

    client = EtcdClient(params)
    members, problems = candidates(client, client.endpoints)
    if not members:
        fail('No etcd member can give a snapshot: none of the endpoints answered its status with a known leader (%s). '
             'Check that etcd runs and that endpoints, ca_cert, client_cert and client_key are right.'
             % '; '.join(problems))
    try:
        names = dict((m['id'], m['name']) for m in client.member_list(members[0]['endpoint']))
    except EtcdError:
        names = {}

    def describe(status):
        return '%s (ID %s)' % (names.get(status['member_id']) or 'member', status['member_id'])

    room = free_space_problem(directory, max(m['db_size'] or 0 for m in members), params['min_free_mb'])
    if room:
        fail(room)

    result['changed'] = True
    if module.check_mode:
        first = members[0]
        result['member'] = dict(name=names.get(first['member_id']), id=first['member_id'],
                                endpoint=first['endpoint'], is_leader=first['is_leader'])
        result['etcd_version'] = first['version']
        result['actions'].append('Would save a snapshot from %s at %s to %s.'
                                 % (describe(first), first['endpoint'], path))
        module.exit_json(**result)

    failures = []
    for member in members:
        handle, temp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path), suffix='.part')
        try:
            os.fchmod(handle, mode)
            with os.fdopen(handle, 'wb') as out:
                client.snapshot(member['endpoint'], out)
                out.flush()
                os.fsync(out.fileno())
            figures = verify(module, tool, temp)
        except (EtcdError, SnapshotInvalid) as e:
            os.unlink(temp)
            failures.append('%s: %s' % (describe(member), e))
            continue
        except BaseException:
            os.unlink(temp)
            raise
        os.rename(temp, path)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        figures.update(path=path)
        result.update(figures)
        result['member'] = dict(name=names.get(member['member_id']), id=member['member_id'],
                                endpoint=member['endpoint'], is_leader=member['is_leader'])
        result['etcd_version'] = member['version']
        result['actions'].append('Saved a snapshot of revision %d from %s at %s to %s.'
                                 % (figures['revision'], describe(member), member['endpoint'], path))
        module.exit_json(**result)
    result['changed'] = False
    fail('No snapshot could be saved to %s; nothing was written there. %s'
         % (path, ' '.join(failures + problems)))


if __name__ == '__main__':
    main()
