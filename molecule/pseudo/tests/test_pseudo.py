"""Several members on one machine (etcd_instance): the pseudo-cluster on pseudo-1 (infra1-3, one
instance each), and on pseudo-2 a normal member of cluster solo beside an instance of cluster beside.

Each instance has its own unit, configuration and data directory; the three clusters do not see
each other (members, cluster IDs, keys); a rolling restart of the pseudo-cluster under a writer
restarts its three instances only; a fourth instance that would share a port is refused before
anything changes."""

import json
import os
import shutil

import yaml

from lab import INVENTORY, PlaybookRun, lab_host
from writer import Writer

INVENTORY_DIR = os.path.dirname(INVENTORY)  # molecule's inventory and the scenario's hosts file beside it
with open(os.path.join(INVENTORY_DIR, "hosts")) as f:
    HOSTS_FILE = yaml.safe_load(f)
MACHINE = {name: lab_host(name) for name in ("pseudo-1", "pseudo-2")}
ADDRESS = {"pseudo-1": "10.213.17.11", "pseudo-2": "10.213.17.12"}
PKI = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "pki")


def instances(group):
    """{inventory host: (machine, instance or '', client port)} of a group, from the scenario's hosts."""
    return {name: (values["ansible_host"], values.get("etcd_instance", ""), values.get("etcd_client_port", 2379))
            for name, values in HOSTS_FILE[group]["hosts"].items()}


CLUSTERS = {group: instances(group) for group in ("etcd", "solo", "beside")}


def unit(instance):
    return "etcd-" + instance if instance else "etcd"


def config_dir(instance):
    return "/etc/etcd-" + instance if instance else "/etc/etcd"


def data_dir(instance):
    return "/var/lib/etcd-" + instance if instance else "/var/lib/etcd"


def bin_dir(instance):
    return "/opt/etcd/instances/%s/bin" % instance if instance else "/usr/local/bin"


def etcdctl(group, host, *args, members=None):
    """That instance's etcdctl (its own links) on the member's machine, with its settings and client port."""
    machine, instance, port = (members or CLUSTERS[group])[host]
    env = config_dir(instance) + "/etcdctl.env"
    tool = bin_dir(instance) + "/etcdctl"
    command = "set -a; . %s; set +a; %s --endpoints https://127.0.0.1:%d " % (env, tool, port)
    return MACHINE[machine].check_output(command + " ".join(["%s"] * len(args)), *args)


def version(group, host):
    return json.loads(etcdctl(group, host, "-w", "json", "endpoint", "status"))[0]["Status"]["version"]


def inventory_with(directory, **etcd_hosts):
    """A copy of the scenario's inventory whose group etcd has these hosts too (or instead: None drops one)."""
    inventory = str(directory)
    shutil.copytree(INVENTORY_DIR, inventory)
    hosts = dict(HOSTS_FILE, etcd={"hosts": dict(HOSTS_FILE["etcd"]["hosts"])})
    for name, values in etcd_hosts.items():
        hosts["etcd"]["hosts"][name] = dict(values, ansible_host="pseudo-1", etcd_instance=name)
    with open(os.path.join(inventory, "hosts"), "w") as f:
        yaml.safe_dump(hosts, f)
    return inventory


def pseudo_writer(urls, prefix):
    tls = {"verify": os.path.join(PKI, "etcd", "ca.crt"),
           "cert": (os.path.join(PKI, "etcd", "admin.crt"), os.path.join(PKI, "etcd", "admin.key"))}
    return Writer(urls, prefix=prefix, tls=tls)


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
            config = dict(line.split("=", 1) for line in node.file(config_dir(instance) + "/etcd.conf")
                          .content_string.splitlines() if line.startswith("ETCD_"))
            config = {key: value.strip('"') for key, value in config.items()}
            assert config["ETCD_NAME"] == host and config["ETCD_DATA_DIR"] == data_dir(instance), config
            assert "https://%s:%d" % (ADDRESS[machine], port) in config["ETCD_ADVERTISE_CLIENT_URLS"].split(","), config
            # Each data directory holds its own member and nothing of another instance's.
            assert node.file(data_dir(instance)).listdir() == ["member"], (host, data_dir(instance))
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
    with pseudo_writer(urls, "/pseudo/rolling/") as writer:
        run = playbook(INVENTORY_DIR, "quorum.etcd.rolling_restart")
    assert run.rc == 0, run
    writer.verify(urls)
    after = main_pids()
    restarted = sorted(host for (group, host) in before if before[(group, host)] != after[(group, host)])
    assert restarted == sorted(CLUSTERS["etcd"]), (before, after)


def test_scale_adds_two_instances_and_removes_them_again_under_the_writer(tmp_path):
    added = {"infra4": {"etcd_client_port": 42379, "etcd_peer_port": 42380, "etcd_metrics_port": 42381},
             "infra5": {"etcd_client_port": 52379, "etcd_peer_port": 52380, "etcd_metrics_port": 52381}}
    urls = ["https://10.213.17.11:%d" % port for port in (2379, 12379, 22379)]
    grown = {name: ("pseudo-1", name, values["etcd_client_port"]) for name, values in added.items()}
    grown.update(CLUSTERS["etcd"])
    with pseudo_writer(urls, "/pseudo/scale/") as writer:
        run = playbook(inventory_with(tmp_path / "grow", **added), "quorum.etcd.scale")
        assert run.rc == 0, run
        listed = json.loads(etcdctl("etcd", "infra4", "-w", "json", "member", "list", members=grown))
        assert sorted((m["name"], bool(m.get("isLearner"))) for m in listed["members"]) == [
            (name, False) for name in sorted(grown)], listed
        assert all(MACHINE["pseudo-1"].service("etcd-" + name).is_running for name in added)
        leaving = {name: dict(values, etcd_member_state="absent") for name, values in added.items()}
        run = playbook(inventory_with(tmp_path / "shrink", **leaving), "quorum.etcd.scale")
        assert run.rc == 0, run
    writer.verify(urls)
    listed = json.loads(etcdctl("etcd", "infra1", "-w", "json", "member", "list"))
    assert sorted(m["name"] for m in listed["members"]) == ["infra1", "infra2", "infra3"]
    for name in added:
        assert not MACHINE["pseudo-1"].service("etcd-" + name).is_running, name
        assert MACHINE["pseudo-1"].check_output("ls -d /var/lib/etcd-%s.removed-* | wc -l" % name) == "1", name


def test_an_upgrade_of_the_instance_beside_leaves_the_member_of_the_other_cluster_on_its_release():
    assert version("beside", "beside-1") == version("solo", "solo-1") == "3.6.16"
    run = playbook(INVENTORY_DIR, "quorum.etcd.upgrade", "-e", "etcd_cluster_group=beside", "-e", "etcd_version=3.7.3")
    assert run.rc == 0, run
    assert version("beside", "beside-1") == "3.7.3"
    # The normal member's links were not switched: restarted, it runs its own release still.
    MACHINE["pseudo-2"].check_output("systemctl restart etcd")
    assert version("solo", "solo-1") == "3.6.16"
    assert {version("etcd", host) for host in CLUSTERS["etcd"]} == {"3.6.16"}


def test_a_backup_of_one_instance_saves_a_snapshot_of_its_own_cluster():
    run = playbook(INVENTORY_DIR, "quorum.etcd.backup", "-e", "etcd_backup_hosts=infra2", "-e", "etcd_backup_now=true")
    assert run.rc == 0, run
    node = MACHINE["pseudo-1"]
    assert node.service("etcd-backup-infra2.timer").is_enabled
    saved = node.check_output("ls -t /var/lib/etcd-backup/*.db | head -n1")
    assert os.path.basename(saved).startswith("etcd-cluster-"), saved  # named after the pseudo-cluster's token
    # The timer's settings name infra2's own configuration and links.
    settings = node.file("/etc/quorum-etcd/etcd-backup-infra2.env").content_string
    assert "/etc/etcd-infra2/etcd.conf" in settings and "/opt/etcd/instances/infra2/bin/etcdctl" in settings, settings
    status = json.loads(node.check_output(bin_dir("infra2") + "/etcdutl snapshot status -w json %s", saved))
    print("backup of infra2: %s, %s" % (saved, status))
    # The pseudo-cluster's data: the writers' hundreds of keys; solo and beside hold one key each.
    assert status["totalKey"] > 100, status


def test_a_restore_of_the_pseudo_cluster_restores_each_instance_in_its_own_directory():
    node = MACHINE["pseudo-1"]
    snapshot = node.check_output("ls -t /var/lib/etcd-backup/etcd-cluster-*.db | head -n1")
    assert snapshot, "no snapshot of the pseudo-cluster (the backup test saves one)"
    etcdctl("etcd", "infra1", "put", "/pseudo/after-backup", "gone after the restore")
    before = main_pids()
    cluster_before = json.loads(etcdctl("etcd", "infra1", "-w", "json", "member", "list"))["header"]["cluster_id"]
    run = playbook(INVENTORY_DIR, "quorum.etcd.restore", "-e", json.dumps({
        "etcd_restore_snapshot": snapshot, "etcd_restore_snapshot_host": "infra2", "etcd_restore_confirm": True}))
    assert run.rc == 0, run
    for host, (_, instance, _) in CLUSTERS["etcd"].items():
        kept = node.check_output("ls -d %s.before-restore-* | wc -l", data_dir(instance))
        assert kept == "1", (host, kept)
        assert etcdctl("etcd", host, "get", "--print-value-only", "/pseudo/after-backup") == "", host
        assert etcdctl("etcd", host, "get", "--print-value-only", "/pseudo/which").strip() == "etcd", host
    assert json.loads(etcdctl("etcd", "infra1", "-w", "json", "member", "list"))["header"]["cluster_id"] != \
        cluster_before
    after = main_pids()
    # The other clusters on these machines ran on untouched.
    assert {k: v for k, v in after.items() if k[0] != "etcd"} == {k: v for k, v in before.items() if k[0] != "etcd"}
    for group in ("solo", "beside"):
        first = sorted(CLUSTERS[group])[0]
        assert etcdctl(group, first, "get", "--print-value-only", "/pseudo/which").strip() == group


def test_an_instance_that_would_share_a_port_with_another_is_refused_before_anything_changes(tmp_path):
    shares_a_port = {"etcd_client_port": 12379, "etcd_peer_port": 62380, "etcd_metrics_port": 62381}
    inventory = inventory_with(tmp_path / "inventory", infra6=shares_a_port)
    before = main_pids()
    run = playbook(inventory, "quorum.etcd.scale", "-e", "etcd_allow_even_members=true")
    assert run.rc != 0, run
    assert any("infra2, infra6 run on one machine with the same client port 12379" in (m or "")
               for m in run.messages), run.messages
    assert not MACHINE["pseudo-1"].file("/etc/etcd-infra6").exists
    assert not MACHINE["pseudo-1"].file("/etc/systemd/system/etcd-infra6.service").exists
    assert main_pids() == before
    listed = json.loads(etcdctl("etcd", "infra1", "-w", "json", "member", "list"))
    assert sorted(m["name"] for m in listed["members"]) == ["infra1", "infra2", "infra3"]
