"""Bad input makes quorum.etcd.deploy fail in preflight, with a message that names
the host and the bad value, and every host is left as it was: no etcd user, files,
release, unit or firewalld ports.

Each case runs the deploy playbook as users do, with the bad value given as an
extra variable or in a small inventory next to molecule's."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from lab import INVENTORY, address, hosts

HOSTS = hosts("etcd")
NAMES = [h.backend.name for h in HOSTS]
IP = {h.backend.name: address(h) for h in HOSTS}

PREFLIGHT_CHECKS = {
    "quorum.etcd.server : Refuse a play that runs the members apart",
    "quorum.etcd.server : Check this member's settings",
    "quorum.etcd.server : Stop on every problem of the plan, before anything changes",
}

LOCK_RELEASE = {
    "quorum.etcd.server : Give back the lock that kept other runs off the cluster",
    "quorum.etcd.server : Warn when the lock could not be given back",
}

# What the role would leave behind; one command per host keeps each check fast.
STATE = r"""
for path in /etc/etcd /var/lib/etcd /opt/etcd /var/cache/etcd /usr/local/bin/etcd /etc/systemd/system/etcd.service; do
  [ -e "$path" ] && echo "exists $path"
done
[ -d /var/lib/etcd ] && echo "data dir holds:" $(ls -A /var/lib/etcd)
getent passwd etcd >/dev/null && echo "user etcd"
getent group etcd >/dev/null && echo "group etcd"
systemctl cat etcd.service >/dev/null 2>&1 && echo "unit etcd.service"
echo "firewalld ports:" $(firewall-cmd --list-ports)
echo "firewalld permanent ports:" $(firewall-cmd --permanent --list-ports)
true
"""


def state():
    return {h.backend.name: h.check_output(STATE).splitlines() for h in HOSTS}


@pytest.fixture(scope="module")
def pristine():
    """The hosts' state before any case runs: nothing of etcd's, no ports open."""
    before = state()
    for name, lines in before.items():
        assert lines == ["firewalld ports:", "firewalld permanent ports:"], name
    return before


class Run:
    """One run of the deploy playbook, read from the ansible.posix.json callback."""

    def __init__(self, args, playbook="quorum.etcd.deploy"):
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                   # only the JSON document on stdout: no profile_tasks lines
                   # (callbacks_enabled may not be empty)
                   ANSIBLE_CALLBACKS_ENABLED="ansible.posix.json")
        inventories = [] if "-i" in args else ["-i", INVENTORY]
        self.args = args
        done = subprocess.run(["ansible-playbook", *inventories, playbook, *args],
                              env=env, capture_output=True, text=True)
        self.rc = done.returncode
        self.stderr = done.stderr
        try:
            report = json.loads(done.stdout)
        except ValueError:
            pytest.fail("no JSON report from ansible-playbook:\n" + done.stdout[-2000:] + done.stderr[-2000:])
        self.stats = report["stats"]
        # The run lock is given back after a failure too (the entry point's always:): not a host going on.
        self.last_task = [t["task"]["name"] for t in report["plays"][0]["tasks"]
                          if t["task"]["name"] not in LOCK_RELEASE][-1]
        self.failed = {}  # host: (task, msg)
        self.changed = []  # (task, host)
        for task in report["plays"][0]["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed"):
                    self.failed[host] = (task["task"]["name"], result.get("msg"))
                if result.get("changed"):
                    self.changed.append((task["task"]["name"], host))

    def __repr__(self):
        return "deploy %s: rc=%s failed=%s changed=%s last task=%s %s" % (
            " ".join(self.args), self.rc, self.failed, self.changed, self.last_task, self.stderr[-1000:])


def deploy(*args):
    return Run(list(args))


def extra_vars(**values):
    return ("-e", json.dumps(values))


def assert_refused(run, messages, before):
    """The run failed in a preflight check with exactly these messages, every host
    in the play stopped there, nothing reported a change and no host changed."""
    assert run.rc != 0, run
    assert {host: msg for host, (_, msg) in run.failed.items()} == messages, run
    assert {task for task, _ in run.failed.values()} <= PREFLIGHT_CHECKS, run
    assert run.last_task in PREFLIGHT_CHECKS, run  # no host went on
    assert run.changed == [], run
    assert state() == before


def test_an_even_member_count(tmp_path, pristine):
    # Group etcd with two of the three hosts: a copy of molecule's inventory.
    with open(INVENTORY) as f:
        inventory = yaml.safe_load(f)
    del inventory["etcd"]["hosts"][NAMES[2]]
    copy = tmp_path / "inventory"
    shutil.copytree(os.path.join(os.path.dirname(INVENTORY), "group_vars"), copy / "group_vars")
    (copy / "hosts.yml").write_text(yaml.safe_dump(inventory))
    run = deploy("-i", str(copy / "hosts.yml"))
    assert set(run.stats) == set(NAMES[:2]), run
    assert_refused(run, {
        NAMES[0]: "the cluster would have 2 members (%s, %s): an even count tolerates no more failures than one"
                  " member fewer; use an odd count or set etcd_allow_even_members" % (NAMES[0], NAMES[1])}, pristine)


def test_a_play_that_runs_the_hosts_one_at_a_time_is_refused(tmp_path, pristine):
    # serial: 1 plans the cluster from the first host alone; the role changes members one at a time itself.
    play = tmp_path / "serial.yml"
    play.write_text(yaml.safe_dump([{"name": "Deploy one host at a time", "hosts": "etcd", "serial": 1,
                                     "gather_facts": False, "become": True, "roles": ["quorum.etcd.server"]}]))
    run = Run([], playbook=str(play))
    assert_refused(run, {
        NAMES[0]: "the plan was made without the state of %s, %s of group etcd: the host is unreachable, or the play"
                  " runs the hosts apart; run every host together, without serial or strategy: free (the role itself"
                  " changes members one at a time)" % (NAMES[1], NAMES[2])}, pristine)



def test_a_play_that_lets_each_host_go_its_own_way_is_refused(tmp_path, pristine):
    # strategy: free would let each host plan the cluster alone, and whether the plan saw every host's state
    # would depend on timing: every host is refused, whatever the timing, before anything is read or changed.
    play = tmp_path / "free.yml"
    play.write_text(yaml.safe_dump([{"name": "Deploy each host on its own", "hosts": "etcd", "strategy": "free",
                                     "gather_facts": False, "become": True, "roles": ["quorum.etcd.server"]}]))
    run = Run([], playbook=str(play))
    assert_refused(run, {name: "quorum.etcd, cluster of group etcd: play 'Deploy each host on its own' runs with strategy"
                               " free, under which each host plans the cluster alone and members could restart"
                               " together: run it with the linear strategy (the default); the role changes members"
                               " one at a time itself. Nothing was changed" for name in NAMES}, pristine)

def test_duplicate_member_names(tmp_path, pristine):
    overlay = tmp_path / "twins.yml"
    overlay.write_text(yaml.safe_dump(
        {"all": {"hosts": {NAMES[0]: {"etcd_member_name": "twin"}, NAMES[1]: {"etcd_member_name": "twin"}}}}))
    run = deploy("-i", INVENTORY, "-i", str(overlay))
    assert_refused(run, {
        NAMES[0]: "member names must be unique (etcd merges duplicates); repeated: twin (%s, %s)"
                  % (NAMES[0], NAMES[1])}, pristine)


def test_a_member_name_with_a_slash(pristine):
    run = deploy(*extra_vars(etcd_member_name="bad/name"))
    assert_refused(run, {
        name: '%s: etcd_member_name bad/name may only use letters, digits, ".", "_" and "-"' % name
        for name in NAMES}, pristine)


def test_a_listen_address_that_is_not_the_hosts(pristine):
    run = deploy(*extra_vars(etcd_listen_address="10.213.3.99"))
    assert_refused(run, {
        name: "%s: listen address 10.213.3.99 is not an address of this host (%s, 127.0.0.1)" % (name, IP[name])
        for name in NAMES}, pristine)


@pytest.mark.parametrize("heartbeat, election", [(300, 1000), (100, 50001)], ids=["below-5x-heartbeat", "above-50s"])
def test_an_election_timeout_out_of_range(pristine, heartbeat, election):
    run = deploy(*extra_vars(etcd_heartbeat_interval=heartbeat, etcd_election_timeout=election))
    assert_refused(run, {
        name: "%s: etcd_election_timeout %s ms must be at least 5 x etcd_heartbeat_interval (%s ms)"
              " and at most 50000 ms" % (name, election, heartbeat)
        for name in NAMES}, pristine)


@pytest.fixture
def used_data_dirs():
    """/var/lib/etcd/somefile on every host; removed again afterwards."""
    for host in HOSTS:
        host.check_output("mkdir /var/lib/etcd && touch /var/lib/etcd/somefile")
    yield
    for host in HOSTS:
        host.check_output("rm -r /var/lib/etcd")


def test_a_used_data_dir_for_a_new_cluster(used_data_dirs):
    before = state()
    run = deploy()
    # The plan lists every host's problem at once, in one refusal.
    assert_refused(run, {NAMES[0]: "; ".join(
        "%s: /var/lib/etcd is not empty and a new member would start in it; empty it,"
        " or set etcd_bootstrap_allow_nonempty_data_dir: true if its contents may stay" % name
        for name in NAMES)}, before)


def test_an_address_with_a_prefix_length(pristine):
    run = deploy(*extra_vars(etcd_address="10.213.3.11/24"))
    assert_refused(run, {
        name: "%s: etcd_address 10.213.3.11/24 must be a bare address, without prefix length or path" % name
        for name in NAMES}, pristine)


def test_a_version_that_is_not_x_y_z(pristine):
    run = deploy(*extra_vars(etcd_version="latest"))
    assert_refused(run, {
        name: "%s: etcd_version latest must be an exact release X.Y.Z such as 3.5.1,"
              " so that every member runs the same binaries" % name
        for name in NAMES}, pristine)


def test_a_disk_slower_than_the_limit_is_refused(pristine):
    # No disk makes a durable write in a nanosecond: every host is refused, naming its figure.
    run = deploy(*extra_vars(etcd_disk_fsync_max_ms=0.000001))
    assert run.rc != 0, run
    for name in NAMES:
        message = run.failed[name][1]
        assert re.match(r"^%s: the disk of /var/lib made a 2 KiB write durable in [0-9.]+ ms at the 99th percentile "
                        r"\(100 writes\), more than etcd_disk_fsync_max_ms 1e-06; etcd's hardware guide asks for less "
                        r"than 10 ms" % name, message), message
    assert_refused(run, {name: run.failed[name][1] for name in NAMES}, pristine)

def test_a_used_data_dir_on_one_host_stops_every_host():
    HOSTS[1].check_output("mkdir /var/lib/etcd && touch /var/lib/etcd/somefile")
    try:
        before = state()
        run = deploy()
        assert_refused(run, {
            NAMES[0]: "%s: /var/lib/etcd is not empty and a new member would start in it; empty it,"
                      " or set etcd_bootstrap_allow_nonempty_data_dir: true if its contents may stay" % NAMES[1]},
                       before)
    finally:
        HOSTS[1].check_output("rm -r /var/lib/etcd")


def test_check_mode_on_fresh_hosts_reports_changes_and_changes_nothing(pristine):
    run = deploy("--check")
    assert run.rc == 0, run
    assert run.failed == {}, run
    assert {host for _, host in run.changed} == set(NAMES), run
    assert state() == pristine
