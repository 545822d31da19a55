"""The lab: hosts with systemd as PID 1, their own addresses, reachable from
each other, the release mirror reachable, and no route off this machine."""

import json
import subprocess

from lab import address as _address, hosts

HOSTS = hosts("lab")


def _bridge(host):
    return _address(host).rsplit(".", 1)[0] + ".1"


def test_three_hosts_with_their_own_addresses():
    addresses = [_address(h) for h in HOSTS]
    assert len(HOSTS) == 3
    assert len(set(addresses)) == 3


def test_systemd_is_pid_1_and_running():
    for host in HOSTS:
        assert host.check_output("ps -o comm= -p 1") == "systemd"
        assert host.run("systemctl is-system-running").stdout.strip() == "running"


def test_hosts_reach_each_other():
    # Port 22 is open in firewalld's default zone and nothing listens there:
    # "refused" proves the packet reached the other host and its answer came back.
    probe = ("import socket, sys\n"
             "s = socket.socket()\n"
             "s.settimeout(3)\n"
             "try:\n    s.connect((sys.argv[1], 22))\n"
             "except ConnectionRefusedError:\n    print('refused')\n"
             "except OSError as error:\n    print(error)\n")
    for host in HOSTS:
        for other in HOSTS:
            if other is not host:
                assert host.check_output("python3 -c %s %s", probe, _address(other)) == "refused"


def test_mirror_tarball_matches_its_sha256sums():
    host = HOSTS[0]
    base = "http://%s:8079/v3.5.1/" % _bridge(host)
    script = ("import hashlib,urllib.request as u,sys; b=sys.argv[1];"
              "t=u.urlopen(b+'etcd-v3.5.1-linux-amd64.tar.gz').read();"
              "s=u.urlopen(b+'SHA256SUMS').read().decode();"
              "print(hashlib.sha256(t).hexdigest(), s.split()[0], len(t))")
    got, listed, size = host.check_output("python3 -c %s %s", script, base).split()
    assert got == listed
    assert int(size) > 10 * 1024 * 1024


def test_no_route_off_the_machine():
    # Asked of the routing table only: no packet leaves for an outside address.
    for host in HOSTS:
        routes = host.check_output("ip -4 route show")
        assert "default" not in routes
        assert host.run("ip route get 192.0.2.1").rc != 0
    network = _network_of(HOSTS[0])
    assert json.loads(subprocess.check_output(["podman", "network", "inspect", network]))[0]["internal"] is True


def _network_of(host):
    name = host.check_output("hostname")
    inspect = json.loads(subprocess.check_output(["podman", "inspect", name]))
    return next(iter(inspect[0]["NetworkSettings"]["Networks"]))
