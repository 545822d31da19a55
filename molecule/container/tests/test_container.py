"""etcd in a podman container under systemd (etcd_runtime: podman), on a live three-member cluster with TLS
and authentication on.

Converge deployed container-1..3, each etcd in a container of localhost/quorum-etcd:v3.6.16, built on the host
from the release. The cases run in file order, each on the cluster the one before left: the member runs in
the container with the unit's settings; a rolling restart; a backup; an upgrade to 3.7.3 by image tag; a member
removed and added back; a member removed behind the playbook's back (etcdctl member remove, the guide's stale
data directory) joins again with fresh data. Each case that changes the cluster writes to it all along
(tests/integration/writer.py) and then proves that every acknowledged write is on every member."""

import json
import tempfile
import time

import lab
from lab import ETCDCTL, PlaybookRun, address, client_tls, etcdctl_json, hosts, inventory_copy, wait_until
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("all")}
NAMES = sorted(HOSTS)
AUTH = lab.admin_auth("all")  # converge turned authentication on
IMAGE = "localhost/quorum-etcd:v%s"
UPGRADED = {"etcd_version": "3.7.3"}  # the release after test_an_upgrade_changes_each_members_image_tag


def urls(names):
    return [lab.client_url(address(HOSTS[name])) for name in names]


def run_playbook(tmp_path, playbook, etcd=NAMES, host_vars=None, group_vars=None, *args):
    directory = tempfile.mkdtemp(dir=str(tmp_path))
    inventory = inventory_copy(directory, {"etcd": etcd}, host_vars=host_vars,
                               group_vars={"etcd": group_vars} if group_vars else None)
    run = PlaybookRun(inventory, playbook, *args)
    print("%s: rc=%d in %.1f s, changed per host %s" % (
        playbook, run.rc, run.seconds, {host: stats.get("changed") for host, stats in sorted(run.recap.items())}))
    for host, task, msg in run.failed:
        print("  failed on %s: %s: %s" % (host, task, msg))
    return run


def container(name):
    """podman's view of the etcd container on a host: Id, ImageName, State (Running, Pid), ..."""
    return json.loads(HOSTS[name].check_output("podman container inspect etcd"))[0]


def unit(name, *props):
    out = HOSTS[name].check_output("systemctl show etcd -p %s", ",".join(props))
    return dict(line.split("=", 1) for line in out.splitlines())


def members(via="container-1"):
    """{name: hex ID} of the started members, as etcdctl on the host reads them."""
    found = etcdctl_json(HOSTS[via], "member", "list")["members"]
    return {m.get("name", ""): "%x" % m["ID"] for m in found}


def versions(names):
    return {name: etcdctl_json(HOSTS[name], "endpoint", "status")[0]["Status"]["version"] for name in names}


def assert_runs_in_container(name, version):
    host = HOSTS[name]
    found = container(name)
    assert found["State"]["Running"] and found["ImageName"] == IMAGE % version, (name, found["ImageName"])
    pid = found["State"]["Pid"]
    # etcd itself, as the etcd user, in a PID namespace of its own, with the ETCD_* settings of etcd.conf.
    assert host.file("/proc/%d/comm" % pid).content_string.strip() == "etcd", name
    uid = host.check_output("id -u etcd")
    assert host.check_output("awk '/^Uid:/ {print $2}' /proc/%s/status" % pid) == uid, name
    assert host.check_output("readlink /proc/%s/ns/pid" % pid) != host.check_output("readlink /proc/1/ns/pid"), name
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid).splitlines()
    assert "ETCD_NAME=%s" % name in environ and "ETCD_DATA_DIR=/var/lib/etcd" in environ, (name, environ)
    assert "QUORUM_ETCD_IMAGE=%s" % IMAGE % version in host.file("/etc/etcd/container.env").content_string, name
    # etcd told systemd when it served (Type=notify, podman's --sdnotify=container), and podman handed it the
    # container's monitor as the unit's main process.
    assert unit(name, "ActiveState")["ActiveState"] == "active", name
    main_pid = int(unit(name, "MainPID")["MainPID"])
    assert host.file("/proc/%d/comm" % main_pid).content_string.strip() == "conmon", name


def test_each_member_runs_in_a_container_of_its_release():
    for name in NAMES:
        assert_runs_in_container(name, "3.6.16")
    assert versions(NAMES) == {name: "3.6.16" for name in NAMES}
    assert sorted(members()) == NAMES
    lab.assert_anonymous_writes_refused(urls(NAMES))


def test_a_rolling_restart_starts_a_new_container_for_each_member(tmp_path):
    before = {name: container(name)["Id"] for name in NAMES}
    with Writer(urls(NAMES), prefix="/container/rolling/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, "quorum.etcd.rolling_restart")
    assert run.rc == 0, run
    writer.verify(urls(NAMES))
    after = {name: container(name)["Id"] for name in NAMES}
    assert all(after[name] != before[name] for name in NAMES), (before, after)
    for name in NAMES:
        assert_runs_in_container(name, "3.6.16")


def test_a_backup_reads_the_member_in_its_container(tmp_path):
    run = run_playbook(tmp_path, "quorum.etcd.backup", NAMES, None, None,
                       "-e", "etcd_backup_hosts=container-2", "-e", "etcd_backup_now=true")
    assert run.rc == 0, run
    host = HOSTS["container-2"]
    saved = host.check_output("ls -t /var/lib/etcd-backup/*.db | head -n1")
    status = json.loads(host.check_output("/usr/local/bin/etcdutl snapshot status -w json %s", saved))
    print("backup of container-2: %s, %s" % (saved, status))
    assert status["totalKey"] > 100, status  # the writers' keys


def test_an_upgrade_changes_each_members_image_tag(tmp_path):
    with Writer(urls(NAMES), prefix="/container/upgrade/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, "quorum.etcd.upgrade", group_vars=UPGRADED)
    assert run.rc == 0, run
    writer.verify(urls(NAMES))
    for name in NAMES:
        assert_runs_in_container(name, "3.7.3")
    assert versions(NAMES) == {name: "3.7.3" for name in NAMES}
    # The host's etcdctl and etcdutl are of the same release.
    assert HOSTS["container-1"].check_output("readlink -f /usr/local/bin/etcdutl") == "/opt/etcd/v3.7.3/etcdutl"


def test_a_member_removed_and_added_back_runs_again(tmp_path):
    target = "container-3"
    stay = [n for n in NAMES if n != target]
    even = dict(UPGRADED, etcd_allow_even_members=True)
    with Writer(urls(stay), prefix="/container/scale-in/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, "quorum.etcd.scale", host_vars={target: {"etcd_member_state": "absent"}},
                           group_vars=even)
    assert run.rc == 0, run
    writer.verify(urls(stay))
    assert sorted(members()) == stay
    host = HOSTS[target]
    assert not host.service("etcd").is_running and not host.service("etcd").is_enabled
    assert host.run("podman container exists etcd").rc == 1, "the stopped member's container is left behind"
    assert not host.file("/var/lib/etcd").exists
    kept = host.check_output("ls -d /var/lib/etcd.removed-*").split()
    assert kept, "the removed member's data was not kept"

    with Writer(urls(stay), prefix="/container/scale-out/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, "quorum.etcd.scale", group_vars=UPGRADED)
    assert run.rc == 0, run
    writer.verify(urls(NAMES))
    assert sorted(members()) == NAMES
    assert_runs_in_container(target, "3.7.3")


def test_a_member_removed_behind_the_playbooks_back_joins_again_with_fresh_data(tmp_path):
    """The guide's trap: a member removed with etcdctl keeps its data directory, and started on it again it
    cannot join. The playbook keeps that data aside and joins the member afresh."""
    target = "container-3"
    host = HOSTS[target]
    kept_before = host.check_output("ls -d /var/lib/etcd.removed-* 2>/dev/null || true").split()
    member = members()[target]

    def removed():
        # etcd refuses a removal while a member joined only seconds ago ("unhealthy cluster"): it waits.
        done = HOSTS["container-1"].run(ETCDCTL + " member remove %s", member)
        assert done.rc == 0 or "unhealthy cluster" in done.stderr, done
        return done.rc == 0

    _, took = wait_until("etcd accepts the removal of %s" % target, removed, timeout=60, step=2)
    print("etcdctl member remove %s accepted after %.1f s" % (target, took))
    # etcd in the container learns it was removed and stops; systemd may start the unit again.
    wait_until("etcd on %s has stopped or restarted" % target,
               lambda: unit(target, "ActiveState", "NRestarts") != {"ActiveState": "active", "NRestarts": "0"},
               timeout=60)
    assert host.file("/var/lib/etcd/member").is_directory

    stay = [n for n in NAMES if n != target]
    with Writer(urls(stay), prefix="/container/rejoin/", tls=client_tls(), auth=AUTH) as writer:
        run = run_playbook(tmp_path, "quorum.etcd.scale", group_vars=UPGRADED)
    assert run.rc == 0, run
    writer.verify(urls(NAMES))
    assert sorted(members()) == NAMES
    kept_after = host.check_output("ls -d /var/lib/etcd.removed-*").split()
    assert len(kept_after) == len(kept_before) + 1, (kept_before, kept_after)
    # It runs for good: no restart loop on the old data.
    time.sleep(10)
    assert unit(target, "ActiveState", "NRestarts") == {"ActiveState": "active", "NRestarts": "0"}
    assert_runs_in_container(target, "3.7.3")
