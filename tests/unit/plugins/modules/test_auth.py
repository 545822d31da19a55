"""quorum.etcd.auth run through Ansible against real etcd: users, roles, permissions, authentication on and off.

Every test starts its own one-member cluster, since turning authentication on changes the cluster for
everyone else. Passwords are long and unique so that a leak in any output is found by a plain search.
"""
import json
import subprocess
import urllib.error
import urllib.request

import pytest

from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient, EtcdError, b64encode
from conftest import (DEFAULT_VERSION, OLDEST_VERSION, _ansible_bin, _ansible_env, _direct_run, start_cluster,
                      stop_cluster)

ROOT_PW = 'root-Pw-7f3a9c1e'
APP_PW = 'app-Pw-2b8d4e6f'
APP_PW2 = 'app-Pw-new-5c1a7d9e'
OPS_PW = 'ops-Pw-9e2f4a6b'
WRONG_PW = 'wrong-Pw-3e8b0c2d'
PASSWORDS = (ROOT_PW, APP_PW, APP_PW2, OPS_PW, WRONG_PW)
NO_LOG = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'

APP_ROLE = dict(name='app', permissions=[dict(key='/app/', prefix=True, type='readwrite')])
APP_PREFIX_PERM = dict(key='/app/', range_end='/app0', prefix=True, type='readwrite')


@pytest.fixture
def cluster(request, etcd_bin, tmp_path):
    """A fresh one-member cluster of the version given with @pytest.mark.parametrize('cluster', [...], indirect=True),
    the default release otherwise."""
    version = getattr(request, 'param', DEFAULT_VERSION)
    members = start_cluster(etcd_bin(version), str(tmp_path / 'cluster'), 1)
    yield members[0]
    stop_cluster(members)


@pytest.fixture
def play(tmp_path):
    """play([args, ...]) -> results of quorum.etcd.auth run with each args, in order.

    An args dict may hold '_check' and '_diff' (task keywords). Failed runs do not stop the next ones. Each
    module run directly (about 2 s of a core less than starting Ansible each time), play(..., ansible=True) runs
    the tasks as one ansible-playbook run instead, to prove Ansible's own output holds no password either. Each
    result is checked for tracebacks and for passwords in every part but the invocation, where the values of
    no_log options are masked; the whole output is searched for passwords too.
    """
    workdir = tmp_path / 'play'
    workdir.mkdir()
    env = _ansible_env(workdir)
    runs = []

    def through_ansible(tasks):
        body = []
        for index, args in enumerate(tasks):
            args = dict(args)
            body.append({'name': 'auth %d' % index, 'quorum.etcd.auth': args, 'ignore_errors': True,
                         'check_mode': args.pop('_check', False), 'diff': args.pop('_diff', False)})
        runs.append(body)
        playbook = workdir / ('play%d.yml' % len(runs))
        playbook.write_text(json.dumps([dict(hosts='localhost', gather_facts=False, tasks=body)]))
        proc = subprocess.run([_ansible_bin('ansible-playbook'), str(playbook)], cwd=str(workdir), env=env,
                              capture_output=True, text=True, timeout=300)
        try:
            results = [t['hosts']['localhost'] for t in json.loads(proc.stdout)['plays'][0]['tasks']]
        except (ValueError, KeyError, IndexError):
            raise AssertionError('ansible-playbook gave no JSON result (rc %s)\nstdout:\n%s\nstderr:\n%s'
                                 % (proc.returncode, proc.stdout, proc.stderr))
        assert len(results) == len(tasks), proc.stdout
        return results, proc.stdout + proc.stderr

    def directly(tasks):
        results = []
        for args in tasks:
            args = dict(args)
            check, diff = args.pop('_check', False), args.pop('_diff', False)
            results.append(_direct_run(workdir, 'auth', args, check=check, diff=diff))
        return results, json.dumps(results)

    def run(tasks, ansible=False):
        results, output = (through_ansible if ansible else directly)(tasks)
        for password in PASSWORDS:
            assert password not in output
        for result in results:
            assert 'Traceback' not in json.dumps(result), result
            shown = json.dumps(dict((k, v) for k, v in result.items() if k != 'invocation'))
            # Not there, and not masked either: the module never tried to return a password.
            assert NO_LOG not in shown and '********' not in shown, shown
        return results

    return run


def ok(result):
    assert result.get('failed') is not True, result
    return result


def client(member, user=None, password=None):
    return EtcdClient(dict(endpoints=[member.client_url], user=user, password=password))


def users_and_roles(member, **login):
    """Every user with its roles and every role with its permissions, read straight from etcd."""
    etcd = client(member, **login)
    return (dict((name, etcd.user_get(name)) for name in etcd.user_list()),
            dict((name, etcd.role_get(name)) for name in etcd.role_list()))


def anonymous_range(member, key):
    """A raw request without credentials to the JSON gateway: (HTTP status, answer)."""
    request = urllib.request.Request(member.client_url + '/v3/kv/range', method='POST',
                                     data=json.dumps({'key': b64encode(key)}).encode(),
                                     headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def test_role_and_user_created_once_check_mode_changes_nothing(play, cluster):
    url = cluster.client_url
    args = dict(endpoints=[url], roles=[APP_ROLE],
                users=[dict(name='app', password=APP_PW, roles=['app']), dict(name='monitor', roles=['app'])])
    before = users_and_roles(cluster)
    assert before == ({}, {})

    plan, = play([dict(args, _check=True, _diff=True)])
    ok(plan)
    assert plan['changed'] is True
    assert plan['actions'] == [
        'Would add role app.',
        'Would grant role app readwrite on keys with prefix /app/.',
        'Would add user app with a password.',
        'Would grant role app to user app.',
        'Would add user monitor without password (certificate authentication).',
        'Would grant role app to user monitor.',
    ]
    # Check mode reports the state the run would leave, and the diff shows it ...
    assert plan['roles'] == {'app': {'permissions': [APP_PREFIX_PERM]}}
    assert plan['users'] == {'app': {'roles': ['app']}, 'monitor': {'roles': ['app']}}
    assert plan['auth_enabled'] is False
    assert plan['diff']['before'] == {'auth_enabled': False, 'users': {}, 'roles': {}}
    assert plan['diff']['after'] == {'auth_enabled': False, 'users': plan['users'], 'roles': plan['roles']}
    # ... and etcd holds nothing of it.
    assert users_and_roles(cluster) == before

    created, again, plan_again = play([args, args, dict(args, _check=True)])
    ok(created)
    assert created['changed'] is True
    assert created['actions'] == [a.replace('Would add', 'Added').replace('Would grant', 'Granted')
                                  for a in plan['actions']]
    assert created['roles'] == plan['roles'] and created['users'] == plan['users']
    assert users_and_roles(cluster) == (
        {'app': ['app'], 'monitor': ['app']},
        {'app': [{'type': 'readwrite', 'key': '/app/', 'range_end': '/app0'}]})

    for result in (again, plan_again):
        ok(result)
        assert result['changed'] is False and result['actions'] == []
        assert result['roles'] == created['roles'] and result['users'] == created['users']
        # etcd cannot check passwords while authentication is off: said, not changed.
        assert result['warnings'] == ['etcd only checks passwords while authentication is enabled, and it is '
                                      'disabled: the password of user(s) app was not checked and not changed.']


def test_enable_limit_change_password_disable(play, cluster):
    url = cluster.client_url
    admin = client(cluster)
    admin.put('/app/config', 'app-value')
    admin.put('/other/secret', 'other-value')
    app = dict(name='app', password=APP_PW, roles=['app'])
    args = dict(endpoints=[url], roles=[APP_ROLE], users=[app], root_password=ROOT_PW, enabled=True)

    plan, = play([dict(args, _check=True)])
    ok(plan)
    assert plan['actions'][-3:] == ['Would add user root with a password.', 'Would grant role root to user root.',
                                    'Would enable authentication.']
    assert plan['auth_enabled'] is True
    assert client(cluster).auth_enabled() is False
    assert users_and_roles(cluster) == ({}, {})

    enabled, again = play([args, args])
    ok(enabled)
    assert enabled['changed'] is True
    assert enabled['actions'] == ['Added role app.', 'Granted role app readwrite on keys with prefix /app/.',
                                  'Added user app with a password.', 'Granted role app to user app.',
                                  'Added user root with a password.', 'Granted role root to user root.',
                                  'Enabled authentication.']
    assert enabled['auth_enabled'] is True
    assert enabled['users'] == {'app': {'roles': ['app']}, 'root': {'roles': ['root']}}
    # The second run logs in as root with root_password and checks the passwords: nothing to do.
    ok(again)
    assert again['changed'] is False and again['actions'] == [], again
    assert 'warnings' not in again

    # Anonymous requests are refused now, through the client and raw.
    with pytest.raises(EtcdError, match='user name is empty'):
        client(cluster).get('/app/config')
    status, answer = anonymous_range(cluster, '/app/config')
    assert status >= 400 and 'user name is empty' in answer.get('message', answer.get('error')), (status, answer)
    # The limited user reads and writes its prefix and nothing else.
    app_client = client(cluster, 'app', APP_PW)
    assert app_client.get('/app/config') == 'app-value'
    app_client.put('/app/new', 'written')
    with pytest.raises(EtcdError, match='permission denied'):
        app_client.get('/other/secret')
    with pytest.raises(EtcdError, match='permission denied'):
        app_client.put('/other/secret', 'overwritten')
    with pytest.raises(EtcdError, match='permission denied'):
        app_client.user_list()
    root = client(cluster, 'root', ROOT_PW)
    assert root.get('/other/secret') == 'other-value'

    # A new password is found out (the old one still authenticates in check mode) and set.
    changed_args = dict(args, users=[dict(app, password=APP_PW2)])
    plan_pw, = play([dict(changed_args, _check=True, _diff=True)])
    ok(plan_pw)
    assert plan_pw['changed'] is True and plan_pw['actions'] == ['Would change the password of user app.']
    assert plan_pw['diff']['before'] == plan_pw['diff']['after']  # passwords are never in a diff
    assert root.check_password('app', APP_PW) is True and root.check_password('app', APP_PW2) is False

    # Through Ansible: its output holds neither password.
    set_pw, set_again = play([changed_args, changed_args], ansible=True)
    ok(set_pw)
    assert set_pw['changed'] is True and set_pw['actions'] == ['Changed the password of user app.']
    ok(set_again)
    assert set_again['changed'] is False and set_again['actions'] == []
    with pytest.raises(EtcdError, match='authentication failed'):
        client(cluster, 'app', APP_PW).get('/app/config')
    assert client(cluster, 'app', APP_PW2).get('/app/new') == 'written'
    # update_password: on_create leaves an existing user's password alone.
    # Through Ansible: a refusal's message holds no password either.
    kept, anonymous, wrong = play([dict(args, update_password='on_create'), dict(args, root_password=None),
                                   dict(args, root_password=WRONG_PW)], ansible=True)
    ok(kept)
    assert kept['changed'] is False and root.check_password('app', APP_PW2) is True
    # Without a login, or with a wrong one, the module cannot even read: it says so.
    assert anonymous['failed'] is True and anonymous['changed'] is False
    assert anonymous['msg'].endswith('Authentication is enabled on the cluster: give user and password of a user '
                                     'with role root, or root_password to log in as root.'), anonymous['msg']
    assert wrong['failed'] is True and wrong['changed'] is False
    assert 'refused to authenticate user root' in wrong['msg']
    assert wrong['msg'].endswith('check user and password (or root_password).'), wrong['msg']

    # Disabling: check mode first, then for real; users and roles stay.
    off_args = dict(endpoints=[url], root_password=ROOT_PW, enabled=False)
    plan_off, = play([dict(off_args, _check=True)])
    ok(plan_off)
    assert plan_off['actions'] == ['Would disable authentication.'] and plan_off['auth_enabled'] is False
    assert client(cluster).auth_enabled() is True

    off, off_again = play([off_args, off_args])
    ok(off)
    assert off['changed'] is True and off['actions'] == ['Disabled authentication.']
    assert off['auth_enabled'] is False
    ok(off_again)
    assert off_again['changed'] is False and off_again['actions'] == []
    assert client(cluster).get('/other/secret') == 'other-value'
    assert anonymous_range(cluster, '/other/secret')[0] == 200
    assert users_and_roles(cluster)[0] == {'app': ['app'], 'root': ['root']}


def test_exclusive_revokes_what_is_not_listed(play, cluster):
    url = cluster.client_url
    etcd = client(cluster)
    etcd.role_add('ops')
    etcd.role_grant_permission('ops', 'read', '/ops/', '/ops0')
    etcd.role_grant_permission('ops', 'write', '/unlisted')
    etcd.role_add('extra')
    etcd.user_add('ops', OPS_PW)
    etcd.user_grant_role('ops', 'ops')
    etcd.user_grant_role('ops', 'extra')
    etcd.role_add('old')
    etcd.user_add('old', 'old-Pw-unused')
    ops_role = dict(name='ops', permissions=[dict(key='/ops/', prefix=True, type='read')])
    args = dict(endpoints=[url], roles=[ops_role], users=[dict(name='ops', password=OPS_PW, roles=['ops'])])

    # Without exclusive, what is listed is there: nothing to do, the rest is kept.
    kept, plan = play([args, dict(args, exclusive=True, _check=True)])
    ok(kept)
    assert kept['changed'] is False
    assert kept['roles'] == {'ops': {'permissions': [
        dict(key='/ops/', range_end='/ops0', prefix=True, type='read'),
        dict(key='/unlisted', range_end='', prefix=False, type='write')]}}
    assert kept['users'] == {'ops': {'roles': ['extra', 'ops']}}
    ok(plan)
    assert plan['actions'] == ['Would revoke from role ops: write on key /unlisted.',
                               'Would revoke role extra from user ops.']
    assert etcd.role_get('ops')[1]['key'] == '/unlisted' and etcd.user_get('ops') == ['extra', 'ops']

    exclusive_args = dict(args, exclusive=True, roles=[
        dict(ops_role, permissions=[dict(key='/ops/', prefix=True, type='readwrite'),
                                    dict(key='/ops-from/', range_end='\0', type='read')]),
        dict(name='old', state='absent')], users=args['users'] + [dict(name='old', state='absent')])
    revoked, again = play([exclusive_args, exclusive_args])
    ok(revoked)
    assert revoked['actions'] == [
        'Changed the permission of role ops on keys with prefix /ops/ from read to readwrite.',
        'Granted role ops read on every key from /ops-from/ on.',
        'Revoked from role ops: write on key /unlisted.',
        'Revoked role extra from user ops.',
        'Deleted user old.',
        'Deleted role old.',
    ]
    # etcd keeps permissions sorted by key ('-' sorts before '/').
    assert etcd.role_get('ops') == [{'type': 'read', 'key': '/ops-from/', 'range_end': '\0'},
                                    {'type': 'readwrite', 'key': '/ops/', 'range_end': '/ops0'}]
    assert revoked['roles'] == {'ops': {'permissions': [
        dict(key='/ops-from/', range_end='\0', prefix=False, type='read'),
        dict(key='/ops/', range_end='/ops0', prefix=True, type='readwrite')]}}
    assert etcd.user_get('ops') == ['ops']
    assert sorted(etcd.user_list()) == ['ops'] and sorted(etcd.role_list()) == ['extra', 'ops']
    ok(again)
    assert again['changed'] is False and again['actions'] == []


def test_bad_input_fails_before_any_change(play, cluster):
    url = cluster.client_url
    etcd = client(cluster)
    etcd.role_add('existing')
    before = users_and_roles(cluster)
    new_role = dict(name='new', permissions=[dict(key='/new/', prefix=True, type='read')])
    new_user = dict(name='new', password=APP_PW, roles=['new'])

    def perm(**fields):
        return dict(endpoints=[url], roles=[new_role, dict(name='bad', permissions=[dict(type='read', **fields)])])

    results = play([
        perm(prefix=True),
        perm(key='/a/', prefix=True, range_end='/b'),
        perm(key='/b', range_end='/a'),
        perm(key=''),
        dict(endpoints=[url], roles=[new_role], users=[new_user, dict(name='app', password='', roles=['new'])]),
        dict(endpoints=[url], users=[dict(name='root', password=ROOT_PW)]),
        dict(endpoints=[url], roles=[new_role, dict(name='root')]),
        dict(endpoints=[url], roles=[new_role], users=[new_user, dict(name='app', roles=['missing', 'new'])]),
        dict(endpoints=[url], roles=[new_role, dict(name='existing', state='absent')],
             users=[dict(new_user, roles=['existing'])]),
        dict(endpoints=[url], roles=[new_role], users=[new_user], enabled=True),
        dict(endpoints=[url], user='new', password=APP_PW, root_password=ROOT_PW, roles=[new_role],
             users=[new_user], enabled=True),
    ])
    messages = []
    for result in results:
        assert result['failed'] is True, result
        assert result['changed'] is False and result['actions'] == [], result
        messages.append(result['msg'])
    assert messages[:7] == [
        'Nothing was changed: roles[1] (bad) permissions[0] has no key: give key, and range_end or prefix: true for '
        'a range of keys.',
        'Nothing was changed: roles[1] (bad) permissions[0] has both prefix and range_end: give one of them.',
        'Nothing was changed: roles[1] (bad) permissions[0]: the range from /b to /a is empty, range_end must sort '
        'after key.',
        'Nothing was changed: roles[1] (bad) permissions[0] has an empty key: give the key, or prefix: true with an '
        'empty key for every key.',
        'Nothing was changed: users[1] (app): the password is empty, which would let anyone log in as app. Give a '
        'password, or leave it out for a user that logs in with a client certificate.',
        'Nothing was changed: users[0]: user root is managed with root_password (it always has role root); do not '
        'list it in users.',
        'Nothing was changed: roles[1]: role root is built in and has every permission; grant it to users, do not '
        'list it in roles.',
    ]
    assert messages[7] == ('User app is to be granted role missing, which does not exist. Add it to roles, or fix '
                           'the name. Nothing was changed.')
    assert messages[8] == ('User new is to be granted role existing, which does not exist or is to be deleted '
                           '(state: absent). Add it to roles, or fix the name. Nothing was changed.')
    assert messages[9] == ('Enabling authentication needs user root with role root, and there is no user root: give '
                           'root_password to have it created. Nothing was changed.')
    assert messages[10].startswith('User new, which the module logs in as, would not have role root'), messages[10]
    # Read back: nothing changed, authentication is still off.
    assert users_and_roles(cluster) == before
    assert etcd.auth_enabled() is False


def test_enabling_checks_existing_passwords_once_it_is_on(play, cluster):
    url = cluster.client_url
    etcd = client(cluster)
    etcd.role_add('app')
    etcd.user_add('app', APP_PW)
    etcd.user_grant_role('app', 'app')
    etcd.user_add('root', 'root-Pw-before-1d4c')  # root exists with another password and without role root
    etcd.user_add('monitor')  # no password: certificate authentication only
    args = dict(endpoints=[url], root_password=ROOT_PW, enabled=True,
                users=[dict(name='app', password=APP_PW2, roles=['app']), dict(name='monitor')])

    refused, plan = play([dict(args, root_password=None), dict(args, _check=True)])
    assert refused['failed'] is True and refused['changed'] is False
    assert refused['msg'] == ('Enabling authentication without a login: etcd checks the passwords of existing users '
                              'app only once authentication is on, and changing one then needs a user with role root. '
                              'Give root_password (or user and password). Nothing was changed.')
    ok(plan)
    assert plan['actions'] == ['Would set the password of user root before enabling authentication (etcd cannot '
                               'check passwords while authentication is disabled).',
                               'Would grant role root to user root.', 'Would enable authentication.']
    assert plan['warnings'] == ['etcd only checks passwords while authentication is enabled, and it is disabled: the '
                                'password of user(s) app was not checked and not changed. The real run checks them '
                                'right after it enables authentication.']
    assert etcd.auth_enabled() is False and etcd.user_get('root') == []

    enabled, again, no_password_user = play([
        args, args, dict(args, users=[dict(name='monitor', password=OPS_PW)])])
    ok(enabled)
    assert enabled['actions'] == ['Set the password of user root before enabling authentication (etcd cannot check '
                                  'passwords while authentication is disabled).',
                                  'Granted role root to user root.', 'Enabled authentication.',
                                  'Changed the password of user app.']
    assert 'warnings' not in enabled
    ok(again)
    assert again['changed'] is False and again['actions'] == []
    root = client(cluster, 'root', ROOT_PW)
    assert root.check_password('app', APP_PW2) is True
    assert no_password_user['failed'] is True and no_password_user['changed'] is False
    assert no_password_user['msg'].startswith('User monitor was created without a password (for client certificate '
                                              'authentication), and etcd cannot give such a user a password.')


@pytest.mark.parametrize('cluster', [OLDEST_VERSION, '3.5.35', '3.7.3'], indirect=True)
def test_auth_on_other_releases(play, cluster):
    url = cluster.client_url
    admin = client(cluster)
    admin.put('/app/config', 'app-value')
    admin.put('/other/secret', 'other-value')
    args = dict(endpoints=[url], roles=[APP_ROLE], root_password=ROOT_PW, enabled=True,
                users=[dict(name='app', password=APP_PW, roles=['app']), dict(name='monitor', roles=['app'])])
    enabled, again, changed_pw = play([args, args, dict(args, users=[dict(name='app', password=APP_PW2)])])
    ok(enabled)
    assert enabled['actions'] == ['Added role app.', 'Granted role app readwrite on keys with prefix /app/.',
                                  'Added user app with a password.', 'Granted role app to user app.',
                                  'Added user monitor without password (certificate authentication).',
                                  'Granted role app to user monitor.',
                                  'Added user root with a password.', 'Granted role root to user root.',
                                  'Enabled authentication.']
    ok(again)
    assert again['changed'] is False and again['actions'] == []
    ok(changed_pw)
    assert changed_pw['actions'] == ['Changed the password of user app.']

    assert anonymous_range(cluster, '/app/config')[0] >= 400
    app_client = client(cluster, 'app', APP_PW2)
    assert app_client.get('/app/config') == 'app-value'
    with pytest.raises(EtcdError, match='permission denied'):
        app_client.get('/other/secret')
    # A user without password cannot log in with one, not even an empty one.
    for password in ('', 'anything'):
        with pytest.raises(EtcdError, match='authentication failed'):
            client(cluster, 'monitor', password).get('/app/config')

    off, = play([dict(endpoints=[url], root_password=ROOT_PW, enabled=False)])
    ok(off)
    assert off['actions'] == ['Disabled authentication.']
    assert anonymous_range(cluster, '/other/secret')[0] == 200
    assert users_and_roles(cluster) == (
        {'app': ['app'], 'monitor': ['app'], 'root': ['root']},
        {'app': [{'type': 'readwrite', 'key': '/app/', 'range_end': '/app0'}]})
