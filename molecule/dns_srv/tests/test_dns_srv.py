"""A cluster bootstrapped from DNS SRV records (etcd_bootstrap: dns_srv).

The lab's DNS server (dnsmasq on the network's bridge) serves lab.example: every host's name
and, for dnssrv-1..3 (group etcd), _etcd-server-ssl._tcp.lab.example records. The members
advertise their names and listen on their addresses. The cases run in file order: the
bootstrap as etcd logged it and the members record it; bad bootstraps on the spare host
refused before anything starts; the spare host joining the running cluster as it would a
static one, with the writer running."""

import os
import tempfile

import lab
from lab import PlaybookRun, address, client_tls, etcdctl_json, hosts, inventory_copy
from spare_join import spare_joins
from writer import Writer

MEMBERS = {h.backend.name: h for h in hosts("etcd")}
NAMES = sorted(MEMBERS)
SPARE = hosts("spare")[0]
SPARE_NAME = SPARE.backend.name
IP = {h.backend.name: address(h) for h in [SPARE] + list(MEMBERS.values())}
CONF = "/etc/etcd/etcd.conf"


def dns_name(name):
    return "%s.lab.example" % name


def urls(names):
    """Client URLs by address: the test runs on the lab's machine, which does not resolve lab.example."""
    return [lab.client_url(IP[name]) for name in names]


def spare_deploy(tmp_path, domain):
    """quorum.etcd.deploy of the spare host as a one-member cluster of its own from the SRV records of domain."""
    directory = tempfile.mkdtemp(dir=str(tmp_path))
    spare_vars = {"etcd_bootstrap": "dns_srv", "etcd_discovery_srv": domain, "etcd_cluster_token": "spare",
                  "etcd_pki_dir": os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "spare")}
    inventory = inventory_copy(directory, {"etcd": NAMES, "spare": [SPARE_NAME]}, group_vars={"spare": spare_vars})
    run = PlaybookRun(inventory, "quorum.etcd.deploy", "-e", "etcd_cluster_group=spare")
    print("deploy of %s from the SRV records of %s: rc=%d in %.1f s; failed: %s"
          % (SPARE_NAME, domain, run.rc, run.seconds, run.failed))
    return run


def test_the_members_found_each_other_from_the_srv_records():
    for name, host in MEMBERS.items():
        conf = host.file(CONF).content_string
        for line in ('ETCD_DISCOVERY_SRV="lab.example"', 'ETCD_INITIAL_CLUSTER_STATE="new"',
                     'ETCD_INITIAL_ADVERTISE_PEER_URLS="https://%s:2380"' % dns_name(name),
                     # etcd listens on addresses only: the host's own.
                     'ETCD_LISTEN_PEER_URLS="https://%s:2380"' % IP[name]):
            assert line in conf, (name, line, conf)
        # etcd refuses an initial cluster beside --discovery-srv.
        assert "ETCD_INITIAL_CLUSTER=" not in conf, (name, conf)
        # etcd logged the members it read from DNS, each record's target with this member's own name.
        logged = host.check_output("journalctl -u etcd --no-pager -o cat | grep -c 'got bootstrap from DNS' || true")
        assert int(logged) >= 3, (name, logged)

    listed = etcdctl_json(MEMBERS[NAMES[0]], "member", "list")["members"]
    assert sorted((m["name"], m["peerURLs"]) for m in listed) == [
        (n, ["https://%s:2380" % dns_name(n)]) for n in NAMES]
    print("members: %s" % ", ".join("%s %s" % (m["name"], m["peerURLs"][0]) for m in listed))

    # The server certificates carry the name and the address: clients by address verify them too.
    with Writer(urls(NAMES), prefix="/dns_srv/bootstrap/", tls=client_tls()) as writer:
        lab.wait_until("a few writes", lambda: len(writer.acknowledged) >= 20, timeout=20)
    writer.verify(urls(NAMES))


def test_bad_bootstraps_are_refused_before_any_member_starts(tmp_path):
    # The spare host has a name in lab.example but no SRV record there.
    absent = spare_deploy(tmp_path, "lab.example")
    assert absent.rc != 0
    text = " ".join(str(msg) for msg in absent.messages)
    assert ("%s: its peer URL https://%s:2380 (%s) is not among the SRV records of lab.example"
            % (SPARE_NAME, dns_name(SPARE_NAME), IP[SPARE_NAME])) in text, absent.failed
    for name in NAMES:
        assert "%s:2380 (%s)" % (dns_name(name), IP[name]) in text, text
    assert not SPARE.file(CONF).exists, "the refused deploy wrote the configuration"

    nothing = spare_deploy(tmp_path, "nothing.example")
    assert nothing.rc != 0
    text = " ".join(str(msg) for msg in nothing.messages)
    assert "%s: no SRV records of nothing.example (_etcd-server-ssl._tcp.nothing.example: " % SPARE_NAME in text, text
    assert "the name server answered REFUSED" in text, text
    assert not SPARE.file(CONF).exists
    assert not SPARE.service("etcd").is_running


def test_the_spare_host_joins_the_running_cluster_as_it_would_a_static_one(tmp_path):
    spare_joins(tmp_path, MEMBERS, SPARE, urls, "https://%s:2380" % dns_name(SPARE_NAME), prefix="/dns_srv/scale/")
