"""The member checks of the server role's preflight (plugins/plugin_utils/member_problems.py)."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'plugins', 'plugin_utils'))
from member_problems import member_problems  # noqa: E402

GOOD = dict(host='etcd1', group='etcd', in_group=True, address='10.0.0.1', ipv4_addresses=['10.0.0.1'],
            host_ips=['10.0.0.1', '127.0.0.1'], listen='10.0.0.1', name='etcd1', version='3.6.16',
            client_scheme='https', peer_scheme='https', heartbeat_interval=100, election_timeout=1000,
            client_port=2379, peer_port=2380)


def problems(**changes):
    return member_problems(dict(GOOD, **changes))


def test_good_settings_have_no_problem():
    assert problems() == []
    assert problems(listen='0.0.0.0') == [] and problems(election_timeout=500) == []


def test_every_problem_is_listed_at_once():
    found = problems(in_group=False, name='bad/name', version='latest', client_scheme='ftp', election_timeout=400,
                     peer_port=2379, listen='10.9.9.9')
    assert found == [
        'it is not in the inventory group etcd (etcd_cluster_group)',
        'etcd_member_name bad/name may only use letters, digits, ".", "_" and "-"',
        'etcd_version latest must be an exact release X.Y.Z such as 3.5.1, so that every member runs the same binaries',
        'URL schemes must be http or https, not ftp / https',
        'listen address 10.9.9.9 is not an address of this host (10.0.0.1, 127.0.0.1)',
        'etcd_election_timeout 400 ms must be at least 5 x etcd_heartbeat_interval (100 ms) and at most 50000 ms',
        'etcd_client_port and etcd_peer_port are both 2379']


def test_an_address_problem_is_told_once():
    assert problems(address='10.0.0.1/24', listen='10.0.0.1/24') == [
        'etcd_address 10.0.0.1/24 must be a bare address, without prefix length or path']
    assert problems(address='', listen='', ipv4_addresses=['10.0.0.1', '10.0.0.2']) == [
        'no member address: the host has 10.0.0.1, 10.0.0.2 and no default route; set etcd_address or etcd_interface']
    assert problems(address='', listen='', ipv4_addresses=[])[0].startswith('no member address: the host has no IPv4')


def test_an_election_timeout_above_50_s_is_refused():
    assert problems(election_timeout=50001) == [
        'etcd_election_timeout 50001 ms must be at least 5 x etcd_heartbeat_interval (100 ms) and at most 50000 ms']


def test_the_peer_ports_common_name_is_turned_on_but_never_changed_or_off_on_a_running_member():
    assert problems(peer_allowed_cn='etcd-peer', deployed_peer_allowed_cn='') == []
    assert problems(peer_allowed_cn='etcd-peer', deployed_peer_allowed_cn='etcd-peer') == []
    assert problems(peer_allowed_cn='', deployed_peer_allowed_cn='') == []
    assert problems(peer_allowed_cn='other', deployed_peer_allowed_cn='etcd-peer') == [
        "the member lets only the common name 'etcd-peer' onto its peer port, and this run would change it to "
        "'other'; the members would refuse the new peer certificates of each other before their restarts. Keep "
        "etcd_peer_cert_allowed_cn: etcd-peer for this cluster"]
    assert 'would turn that check off' in problems(peer_allowed_cn='', deployed_peer_allowed_cn='etcd-peer')[0]


def test_a_ca_rotation_needs_tls_with_the_collections_certificates():
    assert member_problems(dict(GOOD, rotation='trust', tls=True, pki_managed=True)) == []
    assert member_problems(dict(GOOD, rotation='', tls=False, pki_managed=False)) == []
    assert member_problems(dict(GOOD, rotation='trust', tls=True, pki_managed=False)) == [
        'quorum.etcd.rotate_ca (etcd_pki_rotation: trust) rotates the CA the collection issues: it needs '
        'etcd_tls: true and etcd_pki_managed: true, not true and false']
    assert 'not false and true' in member_problems(dict(GOOD, rotation='retire', tls=False, pki_managed=True))[0]


def test_a_slow_disk_is_refused_only_when_a_limit_is_set():
    slow = {'path': '/var/lib/etcd', 'samples': 100, 'p50_ms': 4.0, 'p99_ms': 25.5, 'max_ms': 31.0}
    assert problems(fsync=slow) == [] and problems(fsync=slow, fsync_max_ms=0) == []
    assert problems(fsync=slow, fsync_max_ms=30) == []
    assert problems(fsync=slow, fsync_max_ms=10) == [
        'the disk of /var/lib/etcd made a 2 KiB write durable in 25.5 ms at the 99th percentile (100 writes), more '
        'than etcd_disk_fsync_max_ms 10; etcd\'s hardware guide asks for less than 10 ms: put the data dir (or '
        'etcd_wal_dir) on a faster disk, an SSD of its own']


def test_a_member_named_in_dns_must_listen_where_its_name_points():
    named = dict(address='etcd1.lab.example', host_ips=['10.0.0.1', '192.168.9.1', '127.0.0.1'])
    assert problems(name_addresses=['10.0.0.1'], **named) == []
    assert problems(name_addresses=['192.168.9.1'], listen='0.0.0.0', **named) == []
    assert problems(name_addresses=['192.168.9.1'], **named) == [
        'etcd_address etcd1.lab.example resolves to 192.168.9.1, where the other members reach it, and etcd would '
        'listen on 10.0.0.1; set etcd_listen_address to one of those']


def test_an_instance_name_that_is_no_plain_name_is_refused():
    assert problems(instance='infra1') == [] and problems(instance='') == []
    for bad in ('../etc', '-x', '.hidden', 'a b'):
        assert problems(instance=bad) == [
            'etcd_instance %s must start with a letter or digit and use only letters, digits, ".", "_" and "-"' % bad]


def test_a_container_runtime_needs_its_engine_on_the_host():
    engines = {'podman': '/usr/bin/podman', 'docker': ''}
    assert problems(runtime='host', container_engines={}) == []
    assert problems(runtime='podman', container_engines=engines) == []
    assert problems(runtime='docker', container_engines=engines) == [
        'etcd_runtime docker runs etcd in a container, and the host has no docker command']
    assert problems(runtime='lxc', container_engines=engines) == ['etcd_runtime lxc must be host, podman or docker']
