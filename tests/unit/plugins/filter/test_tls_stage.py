"""The stages of a member between plain HTTP and TLS (plugins/plugin_utils/tls_stage.py): what each
run of quorum.etcd.enable_tls gives a member, and what other runs leave alone or refuse."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from tls_stage import deployed_stage, tls_stage  # noqa: E402

ADDRESS = '10.0.0.1'


def config(clients, peer):
    return {'ETCD_LISTEN_CLIENT_URLS': ','.join('%s://%s:2379' % (s, ADDRESS) for s in clients)
            + ',%s://127.0.0.1:2379' % clients[0],
            'ETCD_LISTEN_PEER_URLS': '%s://%s:2380' % (peer, ADDRESS)}


PLAIN = config(['http'], 'http')
BOTH = config(['http', 'https'], 'http')
PEERS = config(['https', 'http'], 'https')
TLS = config(['https'], 'https')


def stage(found, tls=True, move=''):
    scheme = 'https' if tls else 'http'
    return tls_stage(found, tls, scheme, scheme, move)


def test_the_deployed_stage_is_read_from_the_listeners():
    assert [deployed_stage(c) for c in (PLAIN, BOTH, PEERS, TLS, {})] == ['plain', 'serve_both', 'peers', 'tls', '']
    assert deployed_stage(config(['https'], 'http')) == 'custom'


def test_each_stage_has_its_urls():
    assert stage({}, move='serve_both') == {
        'stage': 'serve_both', 'deployed': '', 'client_scheme': 'http', 'peer_scheme': 'http',
        'client_schemes': ['http', 'https'], 'client_tls': True, 'peer_tls': True, 'problems': []}
    peers = stage(BOTH, move='peers')
    assert (peers['stage'], peers['client_scheme'], peers['peer_scheme'], peers['client_schemes']) == (
        'peers', 'https', 'https', ['https', 'http'])
    closed = stage(PEERS, move='close_http')
    assert (closed['stage'], closed['client_schemes'], closed['problems']) == ('tls', ['https'], [])
    plain = stage(PLAIN, tls=False)
    assert (plain['stage'], plain['client_schemes'], plain['client_tls'], plain['peer_tls']) == (
        'plain', ['http'], False, False)


def test_the_move_goes_on_from_where_it_stopped_and_a_run_again_changes_nothing():
    # serve_both on a member already past it leaves it where it is.
    assert [stage(c, move='serve_both')['stage'] for c in (PLAIN, BOTH, PEERS, TLS)] == [
        'serve_both', 'serve_both', 'peers', 'tls']
    assert [stage(c, move='peers')['stage'] for c in (BOTH, PEERS, TLS)] == ['peers', 'peers', 'tls']


def test_a_stage_is_refused_on_a_member_that_skipped_the_one_before():
    assert stage(PLAIN, move='peers')['problems'] == [
        'etcd_tls_move peers needs every member at stage serve_both first; this member is at plain: run '
        'quorum.etcd.enable_tls from the start (it goes on where it stopped)']
    assert stage(PLAIN, move='peers')['stage'] == 'plain'
    assert stage(BOTH, move='close_http')['problems'][0].startswith(
        'etcd_tls_move close_http needs every member at stage peers first; this member is at serve_both')
    assert stage(PLAIN, tls=False, move='serve_both')['problems'] == [
        'etcd_tls_move serve_both moves a cluster to TLS: it needs etcd_tls: true with https for clients and peers '
        '(now http and http)']
    assert stage(PLAIN, move='sideways')['problems'] == [
        'etcd_tls_move must be serve_both, peers or close_http, not sideways']


def test_other_runs_keep_a_move_under_way_and_never_switch_schemes():
    # A deploy, a rolling restart or an upgrade meanwhile keeps the member as it serves.
    assert stage(BOTH)['stage'] == 'serve_both' and stage(BOTH)['problems'] == []
    assert stage(PEERS)['client_schemes'] == ['https', 'http'] and stage(PEERS)['problems'] == []
    assert stage(PLAIN)['problems'] == [
        'the member serves http (clients and peers), and this run would switch it to https (clients) and https '
        '(peers): move a running cluster to TLS with the quorum.etcd.enable_tls playbook, then keep etcd_tls: true']
    assert stage(PLAIN)['client_scheme'] == 'http'
    assert stage(TLS, tls=False)['problems'] == [
        'the member serves https (clients and peers), and this run would switch it to http (clients) and http '
        '(peers): a running cluster is not moved from TLS back to plain HTTP; keep etcd_tls: true for this cluster']
    assert 'a move to TLS is under way (stage peers)' in stage(PEERS, tls=False)['problems'][0]
    assert stage(TLS)['problems'] == [] and stage({})['stage'] == 'tls'


def test_other_schemes_are_kept_as_they_are_set():
    custom = config(['https'], 'http')
    kept = tls_stage(custom, True, 'https', 'http')
    assert (kept['stage'], kept['client_scheme'], kept['peer_scheme'], kept['peer_tls'], kept['problems']) == (
        'custom', 'https', 'http', False, [])
    assert tls_stage(custom, True, 'http', 'https')['problems'][0].startswith(
        'the member serves https (clients) and http (peers), and this run would switch it to http (clients)')
