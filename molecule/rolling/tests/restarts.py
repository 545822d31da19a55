"""Helpers of the rolling and upgrade scenarios: the members, their unit start times, the
restarts their journal logged, the leader and versions as etcd reports them, and playbook runs
with their time printed. Only the scenario's own lab addresses are contacted."""


import requests

from lab import INVENTORY, PlaybookRun, address, admin_auth, client_tls, client_url, hosts, log_in, session, wait_until
from writer import Writer

HOSTS = {h.backend.name: h for h in hosts("etcd")}
NAMES = sorted(HOSTS)
IP = {name: address(host) for name, host in HOSTS.items()}
URLS = [client_url(IP[name]) for name in NAMES]
SESSION = session()
URL = dict(zip(NAMES, URLS))
# A value etcd refuses at start: "invalid value "many" for ETCD_MAX_TXN_OPS: parse error".
BAD_SETTING = 'ETCD_MAX_TXN_OPS="many"'


def started_at(name):
    """When etcd's unit last became active, on the monotonic clock all lab hosts share."""
    return int(HOSTS[name].check_output("systemctl show etcd -p ActiveEnterTimestampMonotonic --value"))


def start_times():
    return {name: started_at(name) for name in NAMES}


def starts_logged(name):
    """How many times systemd has logged starting etcd on the host."""
    return int(HOSTS[name].run("journalctl -u etcd -o cat --no-pager | grep -c '^Started '").stdout.strip() or 0)


def starts_logged_all():
    return {name: starts_logged(name) for name in NAMES}


def post(url, path, body=None):
    """A v3 JSON gateway call, with a token of the admin user when the cluster has authentication on."""
    headers = {"Authorization": log_in(SESSION, url, *admin_auth(), timeout=3)} if admin_auth() else {}
    return SESSION.post(url + path, json=body or {}, headers=headers, timeout=3).json()


def _answering(ask):
    """{member: ask(its client URL)} for the members that answer."""
    answers = {}
    for name in NAMES:
        try:
            answers[name] = ask(URL[name])
        except (requests.RequestException, ValueError):
            continue
    return answers


def leader():
    """Name of the member every answering member follows."""
    lists = _answering(lambda url: post(url, "/v3/cluster/member/list")["members"])
    names = {m["ID"]: m["name"] for m in next(iter(lists.values()))}
    leaders = set(_answering(lambda url: post(url, "/v3/maintenance/status")["leader"]).values())
    assert len(leaders) == 1, leaders
    return names[leaders.pop()]


def versions():
    """{member: the etcd version it runs}, for the members that answer."""
    return _answering(lambda url: SESSION.get(url + "/version", timeout=3).json()["etcdserver"])


def cluster_version():
    return SESSION.get(URL[leader()] + "/version", timeout=3).json()["etcdcluster"]


def order(leader_name):
    """The order quorum.etcd.rolling_restart and quorum.etcd.upgrade restart members in."""
    return [name for name in NAMES if name != leader_name] + [leader_name]


def stopped_at(run, name):
    """The one "Stopped at" message of a run that stopped at the restart of host ``name``'s member."""
    assert run.rc != 0, run
    found = [m for m in run.messages if m and m.startswith("Stopped at")]
    assert len(found) == 1, run
    print(found[0])
    assert found[0].startswith('Stopped at %s (member %s): the step "Restart etcd on %s" failed:'
                               % (name, name, name)), found[0]
    return found[0]


def playbook(name, *args):
    run = PlaybookRun(INVENTORY, name, *args)
    print("%s %s: rc=%d in %.1f s" % (name, " ".join(args), run.rc, run.seconds))
    print("  slowest tasks: " + "; ".join("%s %.1f s" % (task.split(" : ")[-1], seconds)
                                          for task, seconds in run.slowest(5)))
    for host, task, msg in run.failed:
        print("  failed on %s: %s: %s" % (host, task, str(msg)[:600]))
    return run


def break_config(name):
    """One bad line in the member's environment file: etcd refuses to start with it."""
    HOSTS[name].check_output("echo '%s' >> /etc/etcd/etcd.conf" % BAD_SETTING)


def roll_to(playbook_name, source, target):
    """quorum.etcd.upgrade or quorum.etcd.downgrade from ``source`` to ``target`` with the writer running:
    every acknowledged write kept, every member on the target, the cluster version its minor, one restart
    per member, the leader last. Returns (the leader before, the writer's report)."""
    assert set(versions().values()) == {source}
    first_leader = leader()
    logged = starts_logged_all()
    with Writer(URLS, prefix="/%s/%s/" % (playbook_name.split(".")[-1], target), tls=client_tls(),
                auth=admin_auth()) as writer:
        run = playbook(playbook_name, "-e", "etcd_version=" + target)
    assert run.rc == 0, run
    report = writer.verify(URLS)
    print("%s %s -> %s with the writer: %d acknowledged, %d lost, longest write gap %.3f s, %d errors, playbook %.1f s"
          % (playbook_name, source, target, report["acknowledged"], report["lost"], report["longest_gap_seconds"],
             report["errors"], run.seconds))
    assert versions() == {name: target for name in NAMES}
    assert cluster_version() == ".".join(target.split(".")[:2]) + ".0"
    after = start_times()
    assert {name: count - logged[name] for name, count in starts_logged_all().items()} == {n: 1 for n in NAMES}
    assert sorted(after, key=after.get) == order(first_leader), (after, first_leader)
    return first_leader, report
