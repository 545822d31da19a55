"""A spare host joins a running cluster that was not bootstrapped statically (discovery service, DNS
SRV records) with quorum.etcd.scale and the writer running: it must join as it would a static
cluster, with the initial cluster, and leave the members' configuration as it was."""

import tempfile

from lab import PlaybookRun, client_tls, etcdctl_json, inventory_copy
from writer import Writer

CONF = "/etc/etcd/etcd.conf"


def spare_joins(tmp_path, members, spare, urls, spare_peer_url, other_groups=None, prefix="/spare/scale/"):
    """members: {name: host} of group etcd; spare: the host that joins; urls(names): their client URLs;
    spare_peer_url: the peer URL the spare host advertises. Asserts and prints as it goes."""
    names = sorted(members)
    spare_name = spare.backend.name
    conf_before = {n: members[n].file(CONF).sha256sum for n in names}
    groups = dict(other_groups or {}, etcd=names + [spare_name], spare=[])
    inventory = inventory_copy(tempfile.mkdtemp(dir=str(tmp_path)), groups,
                               group_vars={"etcd": {"etcd_allow_even_members": True}})
    with Writer(urls(names), prefix=prefix, tls=client_tls()) as writer:
        run = PlaybookRun(inventory, "quorum.etcd.scale")
    print("scale out to %s: rc=%d in %.1f s" % (spare_name, run.rc, run.seconds))
    assert run.rc == 0, run.failed
    writer.verify(urls(names + [spare_name]))

    conf = spare.file(CONF).content_string
    assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in conf and "ETCD_DISCOVERY_" not in conf, conf
    assert "%s=%s" % (spare_name, spare_peer_url) in conf, conf
    assert {n: members[n].file(CONF).sha256sum for n in names} == conf_before
    listed = etcdctl_json(members[names[0]], "member", "list")["members"]
    assert sorted(m["name"] for m in listed) == sorted(names + [spare_name])
    assert all(not m.get("isLearner") for m in listed)

    again = PlaybookRun(inventory, "quorum.etcd.scale")
    assert again.rc == 0 and all(stats["changed"] == 0 for stats in again.recap.values()), again.changed
