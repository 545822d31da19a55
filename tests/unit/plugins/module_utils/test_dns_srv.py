"""SRV lookups of module_utils/dns_srv.py against a real DNS server: Debian's dnsmasq (scripts/deps.sh
unpacks it) on a loopback port, serving the records etcd's --discovery-srv reads."""
import os
import subprocess
import time

import pytest

from conftest import REPO, free_port
from ansible_collections.quorum.etcd.plugins.module_utils.dns_srv import (DnsError, lookup_srv, parse_srv_answer,
                                                                          srv_report, srv_services)

DNSMASQ = os.path.join(REPO, '.cache', 'dnsmasq', 'usr', 'sbin', 'dnsmasq')
# Enough records with long names that the UDP answer (512 bytes) is truncated and the lookup goes over TCP.
MANY = 40


@pytest.fixture(scope='module')
def dns_server(tmp_path_factory):
    port = free_port()
    records = ['--srv-host=_etcd-server-ssl._tcp.lab.example,etcd%d.lab.example,2380,0,%d' % (n, n) for n in (1, 2, 3)]
    records += ['--srv-host=_etcd-server._tcp.big.example,member-with-a-rather-long-name-%02d.big.example,2380' % n
                for n in range(MANY)]
    hosts = ['--host-record=etcd%d.lab.example,127.0.0.%d' % (n, 10 + n) for n in (1, 2, 3)]
    log = tmp_path_factory.mktemp('dns') / 'dnsmasq.log'
    server = subprocess.Popen([DNSMASQ, '--keep-in-foreground', '--conf-file=/dev/null', '--user=root',
                               '--bind-interfaces', '--listen-address=127.0.0.1', '--port=%d' % port, '--no-resolv',
                               '--no-hosts', '--no-poll', '--log-facility=%s' % log] + records + hosts)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                lookup_srv('_etcd-server-ssl._tcp.lab.example', servers=['127.0.0.1'], port=port, timeout=0.5)
                break
            except DnsError:
                assert server.poll() is None and time.monotonic() < deadline, 'dnsmasq did not start: %s' % (
                    log.read_text() if log.exists() else '')
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def test_the_records_etcd_reads_are_found_with_their_ports_and_weights(dns_server):
    found = lookup_srv('_etcd-server-ssl._tcp.lab.example', servers=['127.0.0.1'], port=dns_server)
    assert sorted((r['target'], r['port'], r['priority'], r['weight']) for r in found) == [
        ('etcd1.lab.example', 2380, 0, 1), ('etcd2.lab.example', 2380, 0, 2), ('etcd3.lab.example', 2380, 0, 3)]


def test_a_truncated_answer_is_asked_again_over_tcp(dns_server):
    found = lookup_srv('_etcd-server._tcp.big.example', servers=['127.0.0.1'], port=dns_server)
    assert sorted(r['target'] for r in found) == [
        'member-with-a-rather-long-name-%02d.big.example' % n for n in range(MANY)]


def test_a_name_without_records_and_a_server_that_does_not_answer_are_errors(dns_server):
    with pytest.raises(DnsError) as missing:
        lookup_srv('_etcd-server-ssl._tcp.nothing.example', servers=['127.0.0.1'], port=dns_server)
    # dnsmasq without upstream servers refuses names outside its records.
    assert 'REFUSED' in str(missing.value) or 'NXDOMAIN' in str(missing.value)
    with pytest.raises(DnsError) as silent:
        lookup_srv('_etcd-server-ssl._tcp.lab.example', servers=['127.0.0.1'], port=free_port(), timeout=0.3)
    assert 'no name server answered for _etcd-server-ssl._tcp.lab.example (127.0.0.1:' in str(silent.value)


def test_the_names_are_the_ones_etcd_reads():
    assert srv_services('lab.example') == [('https', '_etcd-server-ssl._tcp.lab.example'),
                                           ('http', '_etcd-server._tcp.lab.example')]
    assert srv_services('lab.example', 'blue')[0] == ('https', '_etcd-server-ssl-blue._tcp.lab.example')


def test_bad_names_and_malformed_answers_are_errors_not_crashes():
    for name in ('_etcd-server-ssl._tcp.%s.example' % ('x' * 64), '_etcd-server._tcp.b\u00fccher.' + '\ufffd'):
        with pytest.raises(DnsError):
            lookup_srv(name, servers=['127.0.0.1'], port=free_port(), timeout=0.2)
    # A header that promises an answer the message does not carry.
    header = bytes.fromhex('1234 8180 0000 0001 0000 0000'.replace(' ', ''))
    with pytest.raises(DnsError) as malformed:
        parse_srv_answer(header, 0x1234)
    assert 'malformed' in str(malformed.value)
    with pytest.raises(DnsError):
        parse_srv_answer(header, 0x4321)
    # host_info's report names the failure instead of failing the module.
    report = srv_report('%s.example' % ('y' * 70))
    assert report['records'] == [] and len(report['errors']) == 2 and 'not a DNS name' in report['errors'][0]
