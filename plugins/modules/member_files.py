#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: member_files
short_description: Lay down an etcd member's user, directories, files and firewalld ports in one call
version_added: 0.1.0
description:
  - Creates the system group and user O(user) when missing (or corrects its group, home and shell), then every
    directory of O(directories), then every file of O(files) and O(secret_files), each with its owner, group and
    mode, and opens O(firewalld_ports) in firewalld, now and permanently.
  - Compares first and writes only what differs; each file is written to a temporary file beside it and renamed
    into place, so no reader ever sees half a file and a key is never readable by others, not even briefly.
  - Reports every path it changed in RV(changed_paths), and RV(restart) when a changed file has O(files[].restart).
  - One call per host does the whole job that would otherwise take a task per file.
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: Reports what would change, with the diff; changes nothing.
    support: full
  diff_mode:
    description: Returns the before and after of each file of O(files) that changes and has O(files[].diff); never
      of O(secret_files).
    support: full
options:
  user:
    description: The system user that owns the data, created with its group when missing.
    type: dict
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      group:
        description: Its primary group, a system group created when missing.
        type: str
        required: true
      home:
        description: Its home directory (not created).
        type: path
        required: true
      shell:
        description: Its login shell.
        type: path
        default: /usr/sbin/nologin
  directories:
    description: Directories to create or correct, in order (parents first).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Mode, as an octal string.
        type: str
        required: true
  files:
    description: Files to write when their content, owner, group or mode differ.
    type: list
    elements: dict
    default: []
    suboptions: &file_options
      path:
        description: The file. Its directory must exist or be in O(directories).
        type: path
        required: true
      content:
        description: The whole content.
        type: str
        required: true
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Mode, as an octal string.
        type: str
        required: true
      restart:
        description: A change of this file needs a restart of the service (RV(restart)).
        type: bool
        default: false
      diff:
        description: Show this file's change in diff mode.
        type: bool
        default: true
      staged_as:
        description:
          - Where a new content waits while O(files[].path) exists and differs. The active file is left as it is
            until the service's own restart moves this one in its place (the server role's restart step), so a
            member whose restart never comes keeps running with, and restarting from, what it has.
          - When O(files[].path) already has the content, a file left at O(files[].staged_as) is removed.
          - A staged difference counts as one needing a restart (RV(restart)), on every run until it is in place.
        type: path
      stage:
        description:
          - With O(files[].staged_as), whether this run stages. V(false) writes O(files[].path) in place (a member
            that starts, not restarts, from it) and removes a copy left at O(files[].staged_as).
        type: bool
        default: true
  secret_files:
    description:
      - Like O(files), for private keys and passwords. Their content is never logged nor shown in a diff.
    type: list
    elements: dict
    default: []
    suboptions: *file_options
  firewalld_ports:
    description:
      - Ports such as V(2379/tcp) to open in firewalld's default zone, in the running firewall and permanently;
        each missing one is added, none is removed.
      - Ports are added over D-Bus (C(busctl)), or with C(firewall-cmd) where D-Bus does not answer.
      - Fails, naming the port, when firewalld does not run.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Lay down the member's user, directories and files
  quorum.etcd.member_files:
    user: {name: etcd, group: etcd, home: /var/lib/etcd}
    directories:
      - {path: /etc/etcd, group: etcd, mode: "0750"}
      - {path: /var/lib/etcd, owner: etcd, group: etcd, mode: "0700"}
    files:
      - path: /etc/etcd/etcd.conf
        content: "{{ lookup('ansible.builtin.template', 'etcd.conf.j2') }}"
        group: etcd
        mode: "0640"
        restart: true
    secret_files:
      - path: /etc/etcd/pki/server.key
        content: "{{ lookup('ansible.builtin.file', 'pki/etcd1/server.key', rstrip=false) }}"
        owner: etcd
        group: etcd
        mode: "0600"
  register: member_files
'''

RETURN = r'''
changed_paths:
  description: Every user, directory and file created or changed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [user etcd, /etc/etcd, /etc/etcd/etcd.conf]
restart:
  description: Whether a changed file has O(files[].restart).
  returned: always
  type: bool
'''

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.quorum.etcd.plugins.module_utils.firewalld import Firewalld
from ansible_collections.quorum.etcd.plugins.module_utils.machine_lock import machine_lock

FILE_OPTIONS = dict(
    path=dict(type='path', required=True),
    content=dict(type='str', required=True),
    owner=dict(type='str', default='root'),
    group=dict(type='str', default='root'),
    mode=dict(type='str', required=True),
    restart=dict(type='bool', default=False),
    diff=dict(type='bool', default=True),
    staged_as=dict(type='path'),
    stage=dict(type='bool', default=True),
)
# Only the content of a key is secret: its path, owner and mode stay readable in the output.
SECRET_FILE_OPTIONS = dict(FILE_OPTIONS, content=dict(type='str', required=True, no_log=True))


def _ids(module, owner, group):
    """uid and gid, or None in check mode when the user is yet to be created."""
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        if module.check_mode:
            return None, None
        module.fail_json(msg='%s:%s is not a user and group of this host' % (owner, group))


def validate(module):
    """Every unknown owner, group or bad mode at once, before anything changes."""
    user = module.params['user'] or {}
    problems = []
    for spec in module.params['directories'] + module.params['files'] + module.params['secret_files']:
        try:
            int(spec['mode'], 8)
        except (TypeError, ValueError):
            problems.append('%s: mode %r is not an octal mode such as 0640' % (spec['path'], spec['mode']))
        for kind, name, lookup in (('user', spec['owner'], pwd.getpwnam), ('group', spec['group'], grp.getgrnam)):
            if name == user.get('name' if kind == 'user' else 'group'):
                continue
            try:
                lookup(name)
            except KeyError:
                problems.append('%s: %s %s does not exist on this host' % (spec['path'], kind, name))
    if problems:
        module.fail_json(msg='; '.join(problems))


def ensure_user(module, user, changed):
    if not user:
        return
    try:
        grp.getgrnam(user['group'])
    except KeyError:
        changed.append('group ' + user['group'])
        if not module.check_mode:
            module.run_command(['groupadd', '--system', user['group']], check_rc=True)
    try:
        entry = pwd.getpwnam(user['name'])
    except KeyError:
        changed.append('user ' + user['name'])
        if not module.check_mode:
            module.run_command(['useradd', '--system', '--gid', user['group'], '--home-dir', user['home'],
                                '--no-create-home', '--shell', user['shell'], user['name']], check_rc=True)
        return
    group_id = None if module.check_mode and ('group ' + user['group']) in changed else grp.getgrnam(user['group']).gr_gid
    if (entry.pw_gid, entry.pw_dir, entry.pw_shell) != (group_id, user['home'], user['shell']):
        changed.append('user ' + user['name'])
        if not module.check_mode:
            module.run_command(['usermod', '--gid', user['group'], '--home', user['home'], '--shell', user['shell'],
                                user['name']], check_rc=True)


def ensure_directory(module, spec, changed):
    # validate() refused every mode that is not octal.
    path, mode = spec['path'], int(spec['mode'], 8)
    uid, gid = _ids(module, spec['owner'], spec['group'])
    try:
        now = os.stat(path)
    except FileNotFoundError:
        now = None
    if now is not None and (now.st_uid, now.st_gid, now.st_mode & 0o7777) == (uid, gid, mode):
        return
    changed.append(path)
    if module.check_mode:
        return
    if now is None:
        # Parents as mkdir -p makes them (etcd must reach its data directory), the directory private.
        missing, parent = [], os.path.dirname(path.rstrip('/'))
        while parent and not os.path.isdir(parent):
            missing.insert(0, parent)
            parent = os.path.dirname(parent)
        for directory in missing:
            os.mkdir(directory)
            os.chmod(directory, 0o755)
        os.mkdir(path, 0o700)
    _set_owner_and_mode(path, uid, gid, mode)


def _set_owner_and_mode(path, uid, gid, mode):
    # Closed to group and others while it changes hands, then the wanted mode (chown may clear setgid).
    os.chmod(path, mode & 0o700)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read(), os.stat(path)
    except FileNotFoundError:
        return None, None


def _remove_staged(module, staged, changed):
    if os.path.lexists(staged):
        changed.append(staged)
        if not module.check_mode:
            os.unlink(staged)


def ensure_file(module, spec, changed, diffs, secret):
    """Lay the file down; True when its active content or owner or mode was (or will be, staged) different."""
    path, mode = spec['path'], int(spec['mode'], 8)
    uid, gid = _ids(module, spec['owner'], spec['group'])
    wanted = spec['content'].encode('utf-8')
    before, now = _read(path)
    same = before == wanted and (now.st_uid, now.st_gid, now.st_mode & 0o7777) == (uid, gid, mode)
    staged = spec.get('staged_as')
    # A running member's new content waits at staged_as; anything else (the file as wanted, a new
    # host, a member that starts from the file) leaves no staged copy behind.
    staging = bool(staged) and spec['stage'] and before is not None and not same
    if staged and not staging:
        _remove_staged(module, staged, changed)
    if same:
        return False
    if module._diff and spec['diff'] and not secret and before != wanted:
        diffs.append(dict(before_header=path, after_header=staged if staging else path,
                          before=before.decode('utf-8', 'replace') if before is not None else '',
                          after=spec['content']))
    if staging:
        # The active file stays until the member's own restart puts this one in its place.
        ensure_file(module, dict(spec, path=staged, staged_as=None, diff=False), changed, diffs, secret)
        return True
    changed.append(path)
    if module.check_mode:
        return True
    if before == wanted:
        _set_owner_and_mode(path, uid, gid, mode)
        return True
    write_atomically(path, wanted, uid, gid, mode)
    return True


def ensure_ports(module, ports, changed):
    """Open each port in the running firewall and in the permanent configuration."""
    if not ports:
        return
    firewall = Firewalld(module, label='firewalld_ports %s' % ', '.join(ports))
    missing = firewall.add(ports, check_mode=module.check_mode)
    changed.extend('firewalld port %s' % p for p in missing)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type='dict', options=dict(
                name=dict(type='str', required=True),
                group=dict(type='str', required=True),
                home=dict(type='path', required=True),
                shell=dict(type='path', default='/usr/sbin/nologin'))),
            directories=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                owner=dict(type='str', default='root'),
                group=dict(type='str', default='root'),
                mode=dict(type='str', required=True))),
            files=dict(type='list', elements='dict', default=[], options=FILE_OPTIONS),
            # Each file's content carries no_log (SECRET_FILE_OPTIONS); its path and owner may show.
            secret_files=dict(type='list', elements='dict', default=[], options=SECRET_FILE_OPTIONS, no_log=False),
            firewalld_ports=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    validate(module)
    changed, diffs, restart = [], [], False
    # The user, the directories' parents and the firewall are the machine's, shared by the instances on it:
    # one call at a time per machine (a few milliseconds when nothing changes).
    with machine_lock(take=not module.check_mode):
        ensure_user(module, module.params['user'], changed)
        for spec in module.params['directories']:
            ensure_directory(module, spec, changed)
        for key, secret in (('files', False), ('secret_files', True)):
            for spec in module.params[key]:
                if ensure_file(module, spec, changed, diffs, secret) and spec['restart']:
                    restart = True
        ensure_ports(module, module.params['firewalld_ports'], changed)
    result = dict(changed=bool(changed), changed_paths=changed, restart=restart)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
