#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: auth
short_description: Manage etcd users, roles and key-range permissions, and turn authentication on or off
version_added: 0.1.0
description:
  - Makes the users and roles of an etcd cluster match O(users) and O(roles), like C(etcdctl user) and
    C(etcdctl role) would, and enables or disables authentication (C(etcdctl auth enable)) with O(enabled).
  - Only the users and roles listed are managed; others are left alone. With O(exclusive=true), the permissions of
    each listed role and the roles granted to each listed user that are not listed are revoked.
  - All input is checked, and the cluster read, before anything changes. A user granted a role that neither exists
    nor is listed, a permission without key, an empty key range, enabling authentication without a root user and
    without O(root_password) all fail with a message that says what to fix, and nothing is changed.
  - The changes are made in this order, so that each one can succeed. Roles are added and their permissions granted
    and revoked; users are added, their passwords set and their roles granted and revoked; user C(root) is added
    with role C(root) when O(root_password) is given or authentication is to be enabled; users and roles with
    O(users[].state=absent) or O(roles[].state=absent) are deleted; then authentication is enabled or disabled.
  - B(Passwords.) etcd never returns a password. The module checks one by asking etcd to authenticate the user with
    it, and changes nothing when that works. etcd only checks passwords while authentication is enabled. While it is
    disabled, the passwords of existing users are not checked and not changed, and the module warns; in a run that
    enables authentication they are checked right after enabling it and changed where they differ. The password of
    C(root) is the exception. In a run that enables authentication it is set to O(root_password) before, because
    the module may need to log in as C(root) afterwards and cannot check it earlier.
  - B(Users without password) (O(users[].password) not given) can only log in with a client certificate whose
    common name (CN) is their name (etcd's C(--client-cert-auth)). They are created with etcd's C(no_password)
    option, so no password logs them in. etcd does not tell whether an existing user has a password, so the module
    never takes the password of an existing user away. etcd cannot give a password to a user created without one
    either; the module then fails and says to delete the user and add it again.
  - B(Logging in.) Once authentication is enabled, every request needs a user with role C(root). The module logs in
    with O(user) and O(password); when they are not given and O(root_password) is, it logs in as C(root) with
    O(root_password). A change that would lock the module out (deleting the user it logs in as, or revoking that
    user's role C(root) while authentication is on) is refused.
author:
  - quorum.etcd contributors (@quorum-etcd)
extends_documentation_fragment:
  - quorum.etcd.etcd
attributes:
  check_mode:
    description:
      - Reads and checks everything, reports RV(actions), C(changed), RV(users), RV(roles) and RV(auth_enabled) as
        they would be after the run, and changes nothing.
      - While authentication is disabled, passwords of existing users cannot be checked, so check mode reports no
        password change for them (a warning names them).
    support: full
  diff_mode:
    description: Returns authentication, the listed users' roles and the listed roles' permissions before and after.
      Never passwords.
    support: full
options:
  users:
    description:
      - The users to manage. Users that are not listed are left alone.
      - User C(root) is managed with O(root_password) and cannot be listed here.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      password:
        description:
          - The user's password. Never returned, logged or shown in a diff.
          - Not given, a new user is created without password, for client certificate (CN) authentication.
          - An empty password is refused, since it would let anyone log in as this user.
        type: str
      roles:
        description:
          - Roles granted to the user. Each must exist or be listed in O(roles); C(root) grants every permission
            and the right to manage authentication.
          - Roles the user has and that are not listed are kept, unless O(exclusive=true).
        type: list
        elements: str
        default: []
      state:
        description: V(absent) deletes the user.
        type: str
        choices: [present, absent]
        default: present
  roles:
    description:
      - The roles to manage. Roles that are not listed are left alone.
      - The built-in role C(root) has every permission and cannot be listed here; grant it to users with
        O(users[].roles).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      permissions:
        description:
          - Key-range permissions of the role, as C(etcdctl role grant-permission).
          - A permission is identified by its key range; the same range with another O(roles[].permissions[].type)
            changes the type.
          - Permissions the role has and that are not listed are kept, unless O(exclusive=true).
        type: list
        elements: dict
        default: []
        suboptions:
          key:
            description:
              - The key, or the first key of the range.
              - Required. May only be empty with O(roles[].permissions[].prefix=true), which then means every key.
            type: str
          range_end:
            description:
              - The end of the range, not included, as C(etcdctl role grant-permission ROLE TYPE KEY RANGE_END).
                Must sort after O(roles[].permissions[].key).
              - V("\\0") (the NUL character, written C("\0") in YAML) means every key from
                O(roles[].permissions[].key) on, as C(--from-key).
              - Neither this nor O(roles[].permissions[].prefix) given, the permission is for the one key.
            type: str
          prefix:
            description: The permission is for every key that starts with O(roles[].permissions[].key), as C(--prefix).
            type: bool
            default: false
          type:
            description: What the role may do on the range.
            type: str
            choices: [read, write, readwrite]
            required: true
      state:
        description: V(absent) deletes the role; etcd revokes it from every user that has it.
        type: str
        choices: [present, absent]
        default: present
  exclusive:
    description:
      - Revoke the permissions of each listed role, and the roles granted to each listed user, that are not listed.
      - Users and roles that are not listed are never deleted.
    type: bool
    default: false
  enabled:
    description:
      - V(true) enables authentication (C(etcdctl auth enable)). etcd needs user C(root) with role C(root) for that,
        so the module adds it with O(root_password) when it is missing, and grants it role C(root) when it lacks it.
      - V(false) disables authentication (C(etcdctl auth disable)). Users and roles are kept.
      - Not given, authentication stays as it is.
    type: bool
  root_password:
    description:
      - Password of user C(root). When given, user C(root) is added with it if missing, gets role C(root), and its
        password is checked and changed like O(users[].password).
      - Also the password the module logs in with when O(user) is not given.
      - Required to enable authentication when user C(root) does not exist yet.
    type: str
  update_password:
    description:
      - V(always) changes the password of an existing user when it does not authenticate the user.
      - V(on_create) only sets passwords of users the module adds.
      - Applies to O(users[].password) and O(root_password).
    type: str
    choices: [always, on_create]
    default: always
notes:
  - Run the module once for the cluster (C(run_once)), not once per member; users and roles are cluster-wide.
  - Certificate (CN) authentication needs etcd started with C(--client-cert-auth) and a client certificate whose
    CN is the user name; the module only manages the user. It works for gRPC clients such as C(etcdctl), not for
    etcd's JSON gateway, which this module (like every module of the collection) talks to. So once authentication
    is enabled, the module itself always logs in with a password (O(user) and O(password), or O(root_password)),
    even when its client certificate's CN names a user with role C(root).
seealso:
  - module: quorum.etcd.cluster_info
  - name: etcd role-based access control
    description: Users, roles, permissions, the root user and role, and certificate authentication.
    link: https://etcd.io/docs/v3.5/op-guide/authentication/rbac/
  - name: etcd gRPC gateway
    description: The JSON API the module uses; it does not support authentication by TLS common name.
    link: https://etcd.io/docs/v3.5/dev-guide/api_grpc_gateway/
'''

EXAMPLES = r'''
- name: An application user that may read and write under /app/, then authentication on
  quorum.etcd.auth:
    endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379, https://10.0.0.13:2379]
    ca_cert: /etc/etcd/pki/ca.crt
    client_cert: /etc/etcd/pki/admin.crt
    client_key: /etc/etcd/pki/admin.key
    roles:
      - name: app
        permissions:
          - key: /app/
            prefix: true
            type: readwrite
          - key: /config/app
            type: read
    users:
      - name: app
        password: "{{ vault_etcd_app_password }}"
        roles: [app]
      - name: monitoring       # logs in with a client certificate whose CN is "monitoring"
        roles: [app]
    root_password: "{{ vault_etcd_root_password }}"
    enabled: true
  run_once: true

- name: Exactly these permissions and roles, nothing else for the listed role and user
  quorum.etcd.auth:
    root_password: "{{ vault_etcd_root_password }}"
    exclusive: true
    roles:
      - name: reader
        permissions:
          - {key: /app/, prefix: true, type: read}
    users:
      - name: report
        password: "{{ vault_etcd_report_password }}"
        roles: [reader]

- name: Remove a user and a role
  quorum.etcd.auth:
    user: root
    password: "{{ vault_etcd_root_password }}"
    users:
      - {name: old-app, state: absent}
    roles:
      - {name: old-app, state: absent}

- name: Turn authentication off again
  quorum.etcd.auth:
    root_password: "{{ vault_etcd_root_password }}"
    enabled: false
'''

RETURN = r'''
actions:
  description: One sentence per change made, or in check mode that would be made; empty when nothing was to do.
  returned: always
  type: list
  elements: str
  sample: ["Added role app.", "Granted role app readwrite on keys with prefix /app/.",
           "Added user app with a password.", "Granted role app to user app.", "Enabled authentication."]
auth_enabled:
  description: Whether authentication is enabled after the run (in check mode, would be).
  returned: always
  type: bool
  sample: true
users:
  description:
    - The users the module manages (those of O(users) that are present, and C(root) when O(root_password) is given
      or authentication was enabled), after the run, by name. Never passwords.
  returned: always
  type: dict
  sample: {"app": {"roles": ["app"]}, "root": {"roles": ["root"]}}
  contains:
    roles:
      description: Roles granted to the user, sorted.
      type: list
      elements: str
roles:
  description: The roles of O(roles) that are present after the run, by name, with all their permissions.
  returned: always
  type: dict
  sample: {"app": {"permissions": [{"key": "/app/", "range_end": "/app0", "prefix": true, "type": "readwrite"}]}}
  contains:
    permissions:
      description: The role's permissions, sorted by key as etcd keeps them.
      type: list
      elements: dict
      contains:
        key:
          description: The key, or the first key of the range.
          type: str
        range_end:
          description:
            - The end of the range (not included); empty for one key, C("\u0000") for every key from
              RV(roles.permissions[].key) on.
          type: str
        prefix:
          description: Whether the range is every key starting with RV(roles.permissions[].key).
          type: bool
        type:
          description: V(read), V(write) or V(readwrite).
          type: str
'''

from functools import partial

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import (
    ETCD_REQUIRED_TOGETHER,
    EtcdClient,
    EtcdError,
    etcd_argument_spec,
    prefix_range_end,
)

ROOT = 'root'

# Actions are written as "<verb> ...": "Would <verb> ..." in check mode, the past tense otherwise.
_PAST = dict(add='Added', grant='Granted', change='Changed', revoke='Revoked', delete='Deleted', set='Set',
             enable='Enabled', disable='Disabled')


def _bytes(text):
    return text.encode('utf-8', 'surrogateescape')


def _text(raw):
    return raw.decode('utf-8', 'surrogateescape')


def _show(text):
    """Key text as people read it: bytes that are not UTF-8 as \\x escapes."""
    return _bytes(text).decode('utf-8', 'backslashreplace')


def _prefix_end(key):
    return _text(prefix_range_end(_bytes(key)))


def _describe_range(key, range_end):
    if not range_end:
        return 'key %s' % _show(key)
    if range_end == _prefix_end(key):
        return 'keys with prefix %s' % _show(key) if key else 'every key'
    if range_end == '\0':
        return 'every key from %s on' % _show(key)
    return 'keys from %s up to %s (not included)' % (_show(key), _show(range_end))


def _perm_out(key, range_end, perm_type):
    return dict(key=_show(key), range_end=_show(range_end), prefix=bool(range_end) and range_end == _prefix_end(key),
                type=perm_type)


class Auth(object):
    """One run of the module: check the input, read the cluster, make the differences, report."""

    def __init__(self, module, ranges):
        self.module = module
        self.ranges = ranges
        self.params = module.params
        self.check_mode = module.check_mode
        connection = dict(module.params)
        if not connection.get('user') and connection.get('root_password') is not None:
            connection.update(user=ROOT, password=connection['root_password'])
        self.login = connection.get('user')
        self.client = EtcdClient(connection)
        self.actions = []
        self.changed = False
        # The cluster as read, then as changed (or, in check mode, as it would be).
        self.enabled = None
        self.user_names = set()
        self.role_names = set()
        self.users = {}   # name -> sorted roles, for the users this run is about
        self.roles = {}   # name -> {(key, range_end): type}, for the roles this run is about
        self.before = None
        self.unchecked = []  # users whose password etcd could not check (authentication disabled)
        self.reported = set()  # the users RV(users) returns
        self.wanted_users = self.params['users']
        self.wanted_roles = self.params['roles']

    # -- reporting --------------------------------------------------------------

    def state(self):
        users = dict((name, dict(roles=list(roles))) for name, roles in sorted(self.users.items())
                     if name in self.user_names and name in self.reported)
        roles = {}
        for name, perms in sorted(self.roles.items()):
            if name in self.role_names:
                ordered = sorted(perms.items(), key=lambda item: (_bytes(item[0][0]), _bytes(item[0][1])))
                roles[name] = dict(permissions=[_perm_out(key, end, kind) for (key, end), kind in ordered])
        return dict(auth_enabled=self.enabled, users=users, roles=roles)

    def result(self):
        state = self.state() if self.enabled is not None else dict(auth_enabled=None, users={}, roles={})
        result = dict(changed=self.changed, actions=self.actions, **state)
        if self.module._diff and self.before is not None:
            result['diff'] = dict(before=self.before, after=state)
        return result

    def fail(self, msg):
        self.module.fail_json(msg=msg, **self.result())

    def act(self, what, change):
        """Make one change (not in check mode) and say so. ``what`` starts with a verb of _PAST: "add role app".
        An etcd error fails the run, saying what was done before."""
        if not self.check_mode:
            try:
                change()
            except EtcdError as e:
                done = (' Done before: %s' % ' '.join(self.actions)) if self.actions else ' Nothing was changed.'
                self.fail('etcd refused to %s: %s.%s' % (what, e.reason or e, done))
            verb, rest = what.split(' ', 1)
            self.actions.append('%s %s.' % (_PAST[verb], rest))
        else:
            self.actions.append('Would %s.' % what)
        self.changed = True

    # -- reading ----------------------------------------------------------------

    def read(self):
        try:
            self.enabled = self.client.auth_enabled()
            self.user_names = set(self.client.user_list())
            self.role_names = set(self.client.role_list())
            names = set(u['name'] for u in self.wanted_users)
            if self.params['root_password'] is not None or self.params['enabled']:
                names.add(ROOT)
            self.reported = set(names)
            if self.login:
                names.add(self.login)
            for name in names & self.user_names:
                self.users[name] = self.client.user_get(name)
            for role in self.wanted_roles:
                if role['name'] in self.role_names:
                    perms = self.client.role_get(role['name'])
                    self.roles[role['name']] = dict(((p['key'], p['range_end']), p['type']) for p in perms)
        except EtcdError as e:
            self.enabled = None
            reason = e.reason or str(e)
            hint = 'Check that etcd runs there and that endpoints, ca_cert, client_cert and client_key are right.'
            if 'user name is empty' in reason:
                hint = ('Authentication is enabled on the cluster: give user and password of a user with role root, '
                        'or root_password to log in as root.')
            elif 'permission denied' in reason:
                hint = 'Authentication is enabled, and only a user with role root may manage users and roles.'
            elif 'refused to authenticate' in str(e):
                hint = 'The credentials the module logs in with are wrong: check user and password (or root_password).'
            self.fail('Could not read the users and roles of the etcd cluster: %s. %s' % (e, hint))
        self.before = self.state()

    # -- checks that need the cluster ---------------------------------------------

    def check(self):
        present_roles = set(r['name'] for r in self.wanted_roles if r['state'] == 'present')
        absent_roles = set(r['name'] for r in self.wanted_roles if r['state'] == 'absent')
        for user in self.wanted_users:
            if user['state'] != 'present':
                continue
            missing = [role for role in user['roles'] if role != ROOT and role not in present_roles
                       and (role not in self.role_names or role in absent_roles)]
            if missing:
                self.fail('User %s is to be granted role %s, which does not exist%s. Add %s to roles, or fix the '
                          'name. Nothing was changed.'
                          % (user['name'], ', '.join(missing),
                             ' or is to be deleted (state: absent)' if set(missing) & absent_roles else '',
                             'it' if len(missing) == 1 else 'them'))
        if self.params['enabled'] and not self.enabled and ROOT not in self.user_names \
                and self.params['root_password'] is None:
            self.fail('Enabling authentication needs user root with role root, and there is no user root: give '
                      'root_password to have it created. Nothing was changed.')
        if self.params['enabled'] and not self.enabled and not self.login \
                and self.params['update_password'] == 'always':
            existing = [u['name'] for u in self.wanted_users
                        if u['state'] == 'present' and u['password'] is not None and u['name'] in self.user_names]
            if existing:
                self.fail('Enabling authentication without a login: etcd checks the passwords of existing users %s '
                          'only once authentication is on, and changing one then needs a user with role root. Give '
                          'root_password (or user and password). Nothing was changed.' % ', '.join(existing))
        self.check_login()

    def check_login(self):
        """Refuse changes after which the module could not log in to manage authentication."""
        enabled = self.params['enabled'] if self.params['enabled'] is not None else self.enabled
        if not enabled or not self.login or self.login == ROOT:
            return  # root keeps role root: etcd refuses to revoke it while authentication is on
        wanted = [u for u in self.wanted_users if u['name'] == self.login]
        state = 'enabled' if self.enabled else 'to be enabled'
        if wanted and wanted[0]['state'] == 'absent':
            self.fail('Refusing to delete user %s: the module logs in as it, and authentication is %s. Log in as '
                      'another user with role root. Nothing was changed.' % (self.login, state))
        roles = set(self.users.get(self.login) or [])
        if wanted:
            roles = set(wanted[0]['roles']) if self.params['exclusive'] else roles | set(wanted[0]['roles'])
        if ROOT not in roles:
            self.fail('User %s, which the module logs in as, would not have role root, and authentication is %s: the '
                      'module could not manage users and roles any more. Grant it role root in users, or log in as '
                      'root (root_password). Nothing was changed.' % (self.login, state))

    # -- changes ------------------------------------------------------------------

    def ensure_roles(self):
        for role in self.wanted_roles:
            if role['state'] != 'present':
                continue
            name = role['name']
            if name not in self.role_names:
                self.act('add role %s' % name, partial(self.client.role_add, name))
                self.role_names.add(name)
                self.roles[name] = {}
            have = self.roles[name]
            wanted = self.ranges[name]
            for (key, end), kind in wanted.items():
                if (key, end) not in have:
                    self.act('grant role %s %s on %s' % (name, kind, _describe_range(key, end)),
                             partial(self.client.role_grant_permission, name, kind, key, end))
                elif have[(key, end)] != kind:
                    self.act('change the permission of role %s on %s from %s to %s'
                             % (name, _describe_range(key, end), have[(key, end)], kind),
                             partial(self.client.role_grant_permission, name, kind, key, end))
                have[(key, end)] = kind
            if self.params['exclusive']:
                for (key, end), kind in list(have.items()):
                    if (key, end) not in wanted:
                        self.act('revoke from role %s: %s on %s' % (name, kind, _describe_range(key, end)),
                                 partial(self.client.role_revoke_permission, name, key, end))
                        del have[(key, end)]

    def password_matches(self, name, password):
        """True, False, or None when etcd cannot check it (authentication disabled, or in check mode disabled
        until enabled)."""
        try:
            return self.client.check_password(name, password)
        except EtcdError as e:
            if 'no password user' in (e.reason or str(e)):
                self.fail('User %s was created without a password (for client certificate authentication), and etcd '
                          'cannot give such a user a password. Delete it (state: absent) and add it again with the '
                          'password, or leave its password out.' % name)
            self.fail('Could not check the password of user %s: %s' % (name, e))

    def ensure_password(self, name, password, created):
        if created or password is None or self.params['update_password'] != 'always':
            return
        if not self.enabled:
            self.unchecked.append((name, password))
            return
        if self.password_matches(name, password) is False:
            self.act('change the password of user %s' % name,
                     partial(self.client.user_change_password, name, password))

    def ensure_user(self, name, password, roles, exclusive):
        created = name not in self.user_names
        if created:
            how = 'with a password' if password is not None else 'without password (certificate authentication)'
            self.act('add user %s %s' % (name, how), partial(self.client.user_add, name, password))
            self.user_names.add(name)
            self.users[name] = []
        self.ensure_password(name, password, created)
        have = self.users[name]
        for role in sorted(set(roles)):
            if role not in have:
                self.act('grant role %s to user %s' % (role, name), partial(self.client.user_grant_role, name, role))
                have.append(role)
        if exclusive:
            for role in list(have):
                if role not in roles:
                    self.act('revoke role %s from user %s' % (role, name),
                             partial(self.client.user_revoke_role, name, role))
                    have.remove(role)
        have.sort()

    def ensure_users(self):
        for user in self.wanted_users:
            if user['state'] == 'present':
                self.ensure_user(user['name'], user['password'], user['roles'], self.params['exclusive'])

    def ensure_root(self):
        password = self.params['root_password']
        enabling = self.params['enabled'] and not self.enabled
        if password is None and not enabling:
            return
        if enabling and password is not None and ROOT in self.user_names and self.params['update_password'] == 'always':
            # etcd cannot check it before authentication is on, and the module may log in with it afterwards.
            self.act('set the password of user root before enabling authentication (etcd cannot check passwords '
                     'while authentication is disabled)',
                     partial(self.client.user_change_password, ROOT, password))
            password = None
        self.ensure_user(ROOT, password, [ROOT], exclusive=False)

    def remove_absent(self):
        for user in self.wanted_users:
            name = user['name']
            if user['state'] == 'absent' and name in self.user_names:
                self.act('delete user %s' % name, partial(self.client.user_delete, name))
                self.user_names.discard(name)
                self.users.pop(name, None)
        for role in self.wanted_roles:
            name = role['name']
            if role['state'] == 'absent' and name in self.role_names:
                self.act('delete role %s' % name, partial(self.client.role_delete, name))
                self.role_names.discard(name)
                self.roles.pop(name, None)
                for roles in self.users.values():
                    if name in roles:
                        roles.remove(name)

    def ensure_enabled(self):
        wanted = self.params['enabled']
        if wanted is None or wanted == self.enabled:
            return
        self.act('%s authentication' % ('enable' if wanted else 'disable'),
                 partial(self.client.auth_set_enabled, wanted))
        self.enabled = wanted
        if wanted and not self.check_mode:
            unchecked, self.unchecked = self.unchecked, []
            for name, password in unchecked:
                self.ensure_password(name, password, created=False)

    def warn_unchecked(self):
        if not self.unchecked:
            return
        names = ', '.join(name for name, dummy in self.unchecked)
        later = ''
        if self.check_mode and self.params['enabled']:
            later = ' The real run checks them right after it enables authentication.'
        self.module.warn('etcd only checks passwords while authentication is enabled, and it is disabled: the '
                         'password of user(s) %s was not checked and not changed.%s' % (names, later))

    def run(self):
        self.read()
        self.check()
        try:
            self.ensure_roles()
            self.ensure_users()
            self.ensure_root()
            self.remove_absent()
            self.ensure_enabled()
        except EtcdError as e:
            self.fail('etcd failed while %s users and roles: %s' % ('changing' if self.changed else 'checking', e))
        self.warn_unchecked()
        self.module.exit_json(**self.result())


def _named(entries, kind, errors, root_message):
    """(index, name, where) for each entry of users or roles that has a name. A missing name, root
    and a name listed twice are added to ``errors``; only an entry without a name is skipped."""
    seen = set()
    for index, entry in enumerate(entries):
        name = (entry['name'] or '').strip()
        where = '%ss[%d]' % (kind, index)
        if not name:
            errors.append('%s has no name.' % where)
            continue
        if name == ROOT:
            errors.append('%s: %s' % (where, root_message))
        if name in seen:
            errors.append('%s: %s %s is listed twice.' % (where, kind, name))
        seen.add(name)
        yield index, name, where


def check_input(module):
    """Everything that can be wrong with the options alone; fails before the cluster is asked anything.
    Returns the permissions of each listed role as {(key, range_end): type}."""
    params = module.params
    errors = []
    ranges = {}
    for index, name, where in _named(params['users'], 'user', errors, 'user root is managed with root_password (it '
                                     'always has role root); do not list it in users.'):
        user = params['users'][index]
        if user['password'] == '':
            errors.append('%s (%s): the password is empty, which would let anyone log in as %s. Give a password, or '
                          'leave it out for a user that logs in with a client certificate.' % (where, name, name))
        if any(not (role or '').strip() for role in user['roles']):
            errors.append('%s (%s): roles holds an empty name.' % (where, name))
    for index, name, where in _named(params['roles'], 'role', errors, 'role root is built in and has every '
                                     'permission; grant it to users, do not list it in roles.'):
        role = params['roles'][index]
        wanted = ranges[name] = {}
        for number, perm in enumerate(role['permissions']):
            what = '%s (%s) permissions[%d]' % (where, name, number)
            key, end = perm['key'], perm['range_end']
            if key is None:
                errors.append('%s has no key: give key, and range_end or prefix: true for a range of keys.' % what)
                continue
            if perm['prefix'] and end is not None:
                errors.append('%s has both prefix and range_end: give one of them.' % what)
                continue
            if perm['prefix']:
                end = _prefix_end(key)
            elif end is None:
                end = ''
                if key == '':
                    errors.append('%s has an empty key: give the key, or prefix: true with an empty key for every '
                                  'key.' % what)
                    continue
            elif end == '':
                errors.append('%s has an empty range_end: leave it out for one key.' % what)
                continue
            elif end != '\0' and _bytes(end) <= _bytes(key):
                errors.append('%s: the range from %s to %s is empty, range_end must sort after key.'
                              % (what, _show(key), _show(end)))
                continue
            if (key, end) in wanted:
                errors.append('%s: role %s already has a permission on %s; give one permission per range (type '
                              'readwrite for both).' % (what, name, _describe_range(key, end)))
                continue
            wanted[(key, end)] = perm['type']
    if errors:
        module.fail_json(msg='Nothing was changed: ' + ' '.join(errors), changed=False, actions=[])
    return ranges


def main():
    argument_spec = etcd_argument_spec()
    argument_spec.update(
        users=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            password=dict(type='str', no_log=True),
            roles=dict(type='list', elements='str', default=[]),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        )),
        roles=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            permissions=dict(type='list', elements='dict', default=[], options=dict(
                key=dict(type='str', no_log=False),
                range_end=dict(type='str'),
                prefix=dict(type='bool', default=False),
                type=dict(type='str', required=True, choices=['read', 'write', 'readwrite']),
            )),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        )),
        exclusive=dict(type='bool', default=False),
        enabled=dict(type='bool'),
        root_password=dict(type='str', no_log=True),
        update_password=dict(type='str', default='always', choices=['always', 'on_create'], no_log=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_together=ETCD_REQUIRED_TOGETHER,
        supports_check_mode=True,
    )
    Auth(module, check_input(module)).run()


if __name__ == '__main__':
    main()
