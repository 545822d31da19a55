"""A cluster bootstrapped through etcd's v3 discovery (etcd_bootstrap: discovery).

Converge deployed a one-member discovery service (group discovery_service, TLS on) and then
discovery-2..4 (group etcd), which registered there with the service's CA and client
certificate and found each other. The cases run in file order: the bootstrap as the
members and the discovery service record it; bad bootstraps on the spare host refused
before any member starts; the spare host joining the running cluster as it would a static
one, with the writer running."""

import base64
import os
import tempfile

import lab
from lab import PlaybookRun, address, etcdctl_json, hosts, inventory_copy
from spare_join import spare_joins

SERVICE = hosts("discovery_service")[0]
MEMBERS = {h.backend.name: h for h in hosts("etcd")}
NAMES = sorted(MEMBERS)
SPARE = hosts("spare")[0]
SPARE_NAME = SPARE.backend.name
IP = {h.backend.name: address(h) for h in [SERVICE, SPARE] + list(MEMBERS.values())}
TOKEN = "lab-cluster"
SERVICE_PKI = lab.pki_dir("discovery_service")
CONF = "/etc/etcd/etcd.conf"


def registry(token):
    """{key: value} under the token in the discovery service."""
    found = etcdctl_json(SERVICE, "get", "--prefix", "/_etcd/registry/%s/" % token)
    return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
            for kv in found.get("kvs") or []}


def peer_url(name):
    return lab.peer_url(IP[name])


def urls(names):
    return [lab.client_url(IP[name]) for name in names]


def spare_deploy(tmp_path, version, token):
    """quorum.etcd.deploy of the spare host as a one-member cluster of its own, through the discovery service."""
    directory = tempfile.mkdtemp(dir=str(tmp_path))
    spare_vars = {"etcd_bootstrap": "discovery", "etcd_discovery_endpoints": ["https://%s:2379" % IP[SERVICE.backend.name]],
                  "etcd_discovery_token": token, "etcd_discovery_ca_src": os.path.join(SERVICE_PKI, "ca.crt"),
                  "etcd_discovery_client_cert_src": os.path.join(SERVICE_PKI, "admin.crt"),
                  "etcd_discovery_client_key_src": os.path.join(SERVICE_PKI, "admin.key"),
                  "etcd_cluster_token": "spare", "etcd_version": version,
                  "etcd_pki_dir": os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki", "spare")}
    inventory = inventory_copy(directory, {"etcd": NAMES, "spare": [SPARE_NAME],
                                           "discovery_service": [SERVICE.backend.name]},
                               group_vars={"spare": spare_vars})
    run = PlaybookRun(inventory, "quorum.etcd.deploy", "-e", "etcd_cluster_group=spare")
    print("deploy of %s with etcd %s, token %s: rc=%d in %.1f s; failed: %s"
          % (SPARE_NAME, version, token, run.rc, run.seconds, run.failed))
    return run


def test_the_members_found_each_other_through_the_discovery_service():
    for name, host in MEMBERS.items():
        conf = host.file(CONF).content_string
        for line in ('ETCD_DISCOVERY_ENDPOINTS="https://%s:2379"' % IP[SERVICE.backend.name],
                     'ETCD_DISCOVERY_TOKEN="%s"' % TOKEN, 'ETCD_DISCOVERY_INSECURE_TRANSPORT="false"',
                     'ETCD_DISCOVERY_CACERT="/etc/etcd/discovery-ca.crt"',
                     'ETCD_DISCOVERY_CERT="/etc/etcd/discovery-client.crt"',
                     'ETCD_DISCOVERY_KEY="/etc/etcd/discovery-client.key"', 'ETCD_INITIAL_CLUSTER_STATE="new"'):
            assert line in conf, (name, line, conf)
        # etcd refuses an initial cluster beside discovery settings.
        assert "ETCD_INITIAL_CLUSTER=" not in conf, (name, conf)
        key = host.file("/etc/etcd/discovery-client.key")
        assert (key.user, key.mode) == ("etcd", 0o600)

    listed = etcdctl_json(MEMBERS[NAMES[0]], "member", "list")["members"]
    assert sorted((m["name"], m["peerURLs"]) for m in listed) == [(n, [peer_url(n)]) for n in NAMES]
    print("members: %s" % ", ".join("%s %x" % (m["name"], m["ID"]) for m in listed))

    registered = registry(TOKEN)
    assert registered.pop("/_etcd/registry/%s/_config/size" % TOKEN) == "3"
    assert sorted(registered.values()) == ["%s=%s" % (n, peer_url(n)) for n in NAMES]
    print("discovery service, token %s: size 3, registered %s" % (TOKEN, sorted(registered.values())))
    # The discovery service stays a cluster of its own.
    assert [m["name"] for m in etcdctl_json(SERVICE, "member", "list")["members"]] == [SERVICE.backend.name]


def test_bad_bootstraps_are_refused_before_any_member_starts(tmp_path):
    before = registry(TOKEN)

    old = spare_deploy(tmp_path, "3.5.35", "spare-cluster")
    assert old.rc != 0
    assert any("etcd 3.5.35 has no v3 discovery" in str(msg) for _, _, msg in old.failed), old.failed
    assert not SPARE.file(CONF).exists, "the refused deploy wrote the configuration"

    used = spare_deploy(tmp_path, "3.6.16", TOKEN)
    assert used.rc != 0
    (host, task, msg), = used.failed
    assert task.endswith("Prepare the discovery token for the members that bootstrap through it"), used.failed
    for name in NAMES:
        assert "%s=%s" % (name, peer_url(name)) in msg, msg
    assert "nothing was changed" in msg
    assert not SPARE.service("etcd").is_running
    assert registry(TOKEN) == before
    assert registry("spare-cluster") == {}


def test_the_spare_host_joins_the_running_cluster_as_it_would_a_static_one(tmp_path):
    spare_joins(tmp_path, MEMBERS, SPARE, urls, peer_url(SPARE_NAME),
                other_groups={"discovery_service": [SERVICE.backend.name]}, prefix="/discovery/scale/")
