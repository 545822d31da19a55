"""quorum.etcd.member_files on this machine: files and directories laid down once, a second
run changes nothing, check mode and diff, a key's content never in the output."""
import os
import pwd
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from member_files_pending import member_files_pending  # noqa: E402


def _args(root, conf='A=1\n', key='SECRET-KEY-MATERIAL\n'):
    return dict(
        directories=[dict(path=str(root / 'etc'), mode='0750'), dict(path=str(root / 'etc' / 'pki'), mode='0750')],
        files=[dict(path=str(root / 'etc' / 'etcd.conf'), content=conf, mode='0640', restart=True),
               dict(path=str(root / 'etc' / 'etcdctl.env'), content='E=1\n', mode='0644')],
        secret_files=[dict(path=str(root / 'etc' / 'pki' / 'server.key'), content=key, mode='0600')])


def test_files_are_written_once_and_a_second_run_changes_nothing(run_tasks, tmp_path):
    root = tmp_path / 'host'
    args = _args(root)
    check, first, again = run_tasks([('member_files', args, True), ('member_files', args), ('member_files', args)])
    assert check['changed'] and len(check['changed_paths']) == 5
    assert first['changed'] and sorted(first['changed_paths']) == sorted(check['changed_paths'])
    assert first['restart'] is True
    assert again['changed'] is False and again['changed_paths'] == [] and again['restart'] is False
    assert (root / 'etc' / 'etcd.conf').read_text() == 'A=1\n'
    assert os.stat(str(root / 'etc' / 'pki' / 'server.key')).st_mode & 0o777 == 0o600
    assert os.stat(str(root / 'etc')).st_mode & 0o777 == 0o750
    assert 'SECRET-KEY-MATERIAL' not in str([check, first, again])


def test_each_change_is_reported_and_only_restart_files_ask_for_a_restart(run_module, tmp_path):
    root = tmp_path / 'host'
    run_module('member_files', _args(root))
    os.chmod(str(root / 'etc' / 'etcdctl.env'), 0o666)
    mode_only = run_module('member_files', _args(root))
    assert mode_only['changed_paths'] == [str(root / 'etc' / 'etcdctl.env')] and mode_only['restart'] is False
    assert os.stat(str(root / 'etc' / 'etcdctl.env')).st_mode & 0o777 == 0o644

    key_changed = run_module('member_files', _args(root, key='OTHER-KEY\n'))
    assert key_changed['changed_paths'] == [str(root / 'etc' / 'pki' / 'server.key')]
    assert 'OTHER-KEY' not in str(key_changed)

    config = str(root / 'etc' / 'etcd.conf')
    with open(config) as handle:
        before = handle.read()
    checked = run_module('member_files', _args(root, conf='A=2\n', key='OTHER-KEY\n'), check=True)
    assert checked['changed_paths'] == [config] and checked['restart'] is True
    with open(config) as handle:
        assert handle.read() == before


def test_bad_owners_and_modes_are_all_refused_before_anything_changes(run_module, tmp_path):
    args = _args(tmp_path / 'host')
    args['files'][0]['owner'] = 'no-such-user-here'
    args['secret_files'][0]['group'] = 'no-such-group-here'
    args['directories'][1]['mode'] = 'rwx'
    result = run_module('member_files', args)
    assert result['failed']
    for part in ('etcd.conf: user no-such-user-here does not exist on this host',
                 'server.key: group no-such-group-here does not exist on this host',
                 "pki: mode 'rwx' is not an octal mode such as 0640"):
        assert part in result['msg']
    assert not (tmp_path / 'host').exists()


def test_missing_parents_are_made_readable_and_the_directory_private(run_module, tmp_path):
    data = tmp_path / 'data' / 'etcd'
    result = run_module('member_files', dict(directories=[dict(path=str(data), mode='0700')]))
    assert result['changed_paths'] == [str(data)]
    assert os.stat(str(data)).st_mode & 0o777 == 0o700
    # etcd, running as its own user, must be able to reach its data directory.
    assert os.stat(str(tmp_path / 'data')).st_mode & 0o777 == 0o755


def test_host_info_tells_the_controller_when_the_call_has_nothing_to_do(run_module, tmp_path):
    """The server role skips member_files when member_files_pending finds nothing in host_info's report:
    the two must agree, or a change would be skipped."""
    root = pwd.getpwuid(0)
    user = dict(name=root.pw_name, group='root', home=root.pw_dir, shell=root.pw_shell)
    conf_dir = tmp_path / 'etc'
    call = dict(directories=[dict(path=str(conf_dir), mode='0750')],
                files=[dict(path=str(conf_dir / 'etcd.conf'), content='ETCD_NAME="etcd1"\n', mode='0640')],
                secret_files=[dict(path=str(conf_dir / 'peer.key'), content='not a real key\n', mode='0600')])
    paths = [str(conf_dir), str(conf_dir / 'etcd.conf'), str(conf_dir / 'peer.key')]

    def pending():
        seen = run_module('host_info', dict(data_dir=str(tmp_path / 'data'), paths=paths, user=root.pw_name))
        return member_files_pending(seen, user=user, **call)

    assert pending() == paths
    assert run_module('member_files', dict(call))['changed_paths'] == paths
    assert pending() == []
    (conf_dir / 'etcd.conf').write_text('ETCD_NAME="etcd2"\n')
    os.chmod(str(conf_dir / 'peer.key'), 0o644)
    assert pending() == paths[1:]
    assert member_files_pending({'paths': {}}, user=dict(user, shell='/bin/false')) == ['user ' + root.pw_name]


def test_a_running_members_new_settings_wait_beside_the_active_ones(run_module, tmp_path):
    """staged_as: while the active file differs, the new content goes beside it and asks for a restart on
    every run until the restart moves it in place; once the active file has it, a staged copy is removed.
    host_info and member_files_pending agree on each of these states."""
    root = pwd.getpwuid(0)
    conf_dir = tmp_path / 'etc'
    active, staged = conf_dir / 'etcd.conf', conf_dir / 'etcd.conf.next'
    conf_dir.mkdir()
    active.write_text('A=1\n')
    os.chmod(str(active), 0o640)

    def call(content):
        return dict(files=[dict(path=str(active), content=content, mode='0640', restart=True, staged_as=str(staged))])

    def pending(content):
        seen = run_module('host_info', dict(data_dir=str(tmp_path / 'data'), paths=[str(active), str(staged)],
                                            user=root.pw_name))
        return member_files_pending(seen, **call(content))

    assert pending('A=2\n') == [str(active)]
    looked = run_module('member_files', call('A=2\n'), check=True)
    assert looked['changed_paths'] == [str(staged)] and looked['restart'] is True and not staged.exists()
    first = run_module('member_files', call('A=2\n'))
    assert first['changed_paths'] == [str(staged)] and first['restart'] is True
    assert active.read_text() == 'A=1\n' and staged.read_text() == 'A=2\n'
    # The restart has not come yet (the roll stopped before this member): still due, nothing rewritten.
    again = run_module('member_files', call('A=2\n'))
    assert again['changed'] is False and again['restart'] is True

    # The value is taken back before the restart came: the stale staged copy goes.
    assert pending('A=1\n') == [str(staged)]
    back = run_module('member_files', call('A=1\n'))
    assert back['changed_paths'] == [str(staged)] and back['restart'] is False and not staged.exists()
    assert pending('A=1\n') == []
    assert run_module('member_files', call('A=1\n'))['changed'] is False

    # A member that starts from the file (stopped, restored) gets it in place, and a staged copy goes.
    staged.write_text('A=3\n')
    direct = run_module('member_files', dict(files=[dict(call('A=4\n')['files'][0], stage=False)]))
    assert sorted(direct['changed_paths']) == sorted([str(staged), str(active)]) and direct['restart'] is True
    assert active.read_text() == 'A=4\n' and not staged.exists()

    # Without an active file (a new host) the file is written where it belongs.
    fresh = conf_dir / 'new.conf'
    made = run_module('member_files', dict(files=[dict(path=str(fresh), content='B=1\n', mode='0640',
                                                       staged_as=str(fresh) + '.next')]))
    assert made['changed_paths'] == [str(fresh)] and fresh.read_text() == 'B=1\n'
