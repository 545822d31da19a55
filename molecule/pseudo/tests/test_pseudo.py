"""Several members on one machine (etcd_instance): the pseudo-cluster on pseudo-1 (infra1-3, one
instance each), and on pseudo-2 a normal member of cluster solo beside an instance of cluster beside.

Each instance has its own unit, configuration and data directory; the three clusters do not see
each other (members, cluster IDs, keys); a rolling restart of the pseudo-cluster under a writer
restarts its three instances only; a fourth instance that would share a port is refused before
anything changes."""

import json
import os
import shutil

import testinfra
import yaml

from lab import INVENTORY, PlaybookRun
from writer import Writer

INVENTORY_DIR = os.path.dirname(INVENTORY)  # molecule's inventory and the scenario's hosts file beside it
with open(os.path.join(INVENTORY_DIR, "hosts")) as f:
    HOSTS_FILE = yaml.safe_load(f)
MACHINE = {name: testinfra.get_host("podman://" + name) for name in ("pseudo-1", "pseudo-2")}
ADDRESS = {"pseudo-1": "10.213.17.11", "pseudo-2": "10.213.17.12"}
PKI = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")


def instances(group):
    """{inventory host: (machine, instance or '', client port)} of a group, from the scenario's hosts."""
    return {name: (values["ansible_host"], values.get("etcd_instance", ""), values.get("etcd_client_port", 2379))
            for name, values in HOSTS_FILE[group]["hosts"].items()}


CLUSTERS = {group: instances(group) for group in ("etcd", "solo", "beside")}


def unit(instance):
    return "etcd-" + instance if instance else "etcd"


def etcdctl(group, host, *args):
    """etcdctl on the member's machine with that instance's settings and its client port."""
    machine, instance, port = CLUSTERS[group][host]
    env = "/etc/etcd/%s/etcdctl.env" % instance if instance else "/etc/etcd/etcdctl.env"
    command = "set -a; . %s; set +a; etcdctl --endpoints https://127.0.0.1:%d " % (env, port)
    return MACHINE[machine].check_output(command + " ".join(["%s"] * len(args)), *args)


def main_pids():
    return {(group, host): int(MACHINE[machine].check_output("systemctl show %s -p MainPID --value", unit(instance)))
            for group, members in CLUSTERS.items() for host, (machine, instance, _) in members.items()}


def playbook(inventory, name, *args):
    run = PlaybookRun(inventory, name, *args)
    print("%s: rc=%d in %.1f s, changed per host %s" % (name, run.rc, run.seconds,
                                                        {h: s.get("changed") for h, s in sorted(run.recap.items())}))
    return run


def test_each_instance_has_its_own_unit_configuration_and_data():
    for group, members in CLUSTERS.items():
        for host, (machine, instance, port) in members.items():
            node = MACHINE[machine]
            assert node.service(unit(instance)).is_running, (host, unit(instance))
            config_dir = "/etc/etcd/" + instance if instance else "/etc/etcd"
            data_dir = "/var/lib/etcd/" + instance if instance else "/var/lib/etcd"
            config = node.file(config_dir + "/etcd.conf").content_string
            assert "ETCD_NAME=%s" % host in config or 'ETCD_NAME="%s"' % host in config, config
            assert ":%d" % port in config and data_dir in config, config
            assert node.file(data_dir + "/member").is_directory, (host, data_dir)
    # Only the machine with a single normal member gets the login shell's etcdctl setup.
    assert not MACHINE["pseudo-1"].file("/etc/profile.d/etcdctl.sh").exists
    assert MACHINE["pseudo-2"].file("/etc/profile.d/etcdctl.sh").exists
    assert not MACHINE["pseudo-1"].file("/etc/systemd/system/etcd.service").exists


def test_the_three_clusters_do_not_see_each_other():
    cluster_ids = {}
    for group, members in CLUSTERS.items():
        first = sorted(members)[0]
        listed = json.loads(etcdctl(group, first, "-w", "json", "member", "list"))
        assert sorted(m["name"] for m in listed["members"]) == sorted(members), (group, listed)
        for m in listed["members"]:
            machine, _, _ = members[m["name"]]
            assert all(url.startswith("https://%s:" % ADDRESS[machine]) for url in m["peerURLs"]), m
        cluster_ids[group] = listed["header"]["cluster_id"]
        etcdctl(group, first, "put", "/pseudo/which", group)
    assert len(set(cluster_ids.values())) == 3, cluster_ids
    for group, members in CLUSTERS.items():
        for host in members:
            assert etcdctl(group, host, "get", "--print-value-only", "/pseudo/which").strip() == group, (group, host)


def test_a_rolling_restart_of_the_pseudo_cluster_restarts_its_instances_only():
    before = main_pids()
    urls = ["https://%s:%d" % (ADDRESS[machine], port) for machine, _, port in CLUSTERS["etcd"].values()]
    tls = {"verify": os.path.join(PKI, "etcd", "ca.crt"),
           "cert": (os.path.join(PKI, "etcd", "admin.crt"), os.path.join(PKI, "etcd", "admin.key"))}
    with Writer(urls, prefix="/pseudo/rolling/", tls=tls) as writer:
        run = playbook(INVENTORY_DIR, "quorum.etcd.rolling_restart")
    assert run.rc == 0, run
    writer.verify(urls)
    after = main_pids()
    restarted = sorted(host for (group, host) in before if before[(group, host)] != after[(group, host)])
    assert restarted == sorted(CLUSTERS["etcd"]), (before, after)


def test_an_instance_that_would_share_a_port_with_another_is_refused_before_anything_changes(tmp_path):
    inventory = str(tmp_path / "inventory")
    shutil.copytree(INVENTORY_DIR, inventory)
    hosts = dict(HOSTS_FILE)
    hosts["etcd"] = {"hosts": dict(HOSTS_FILE["etcd"]["hosts"], infra4={
        "ansible_host": "pseudo-1", "etcd_instance": "infra4",
        "etcd_client_port": 12379, "etcd_peer_port": 42380, "etcd_metrics_port": 42381})}
    with open(os.path.join(inventory, "hosts"), "w") as f:
        yaml.safe_dump(hosts, f)
    before = main_pids()
    run = playbook(inventory, "quorum.etcd.scale", "-e", "etcd_allow_even_members=true")
    assert run.rc != 0, run
    assert any("infra2, infra4 run on one machine with the same client port 12379" in (m or "")
               for m in run.messages), run.messages
    assert not MACHINE["pseudo-1"].file("/etc/etcd/infra4").exists
    assert not MACHINE["pseudo-1"].file("/etc/systemd/system/etcd-infra4.service").exists
    assert main_pids() == before
    listed = json.loads(etcdctl("etcd", "infra1", "-w", "json", "member", "list"))
    assert sorted(m["name"] for m in listed["members"]) == ["infra1", "infra2", "infra3"]
