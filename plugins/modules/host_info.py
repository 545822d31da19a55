#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: Read what a host looks like to etcd, in one call
version_added: 0.1.0
description:
  - Reports the host's IP addresses (also on hosts without a default route), the state of an etcd
    data directory and other directories, the etcd user, the installed etcd binary, the ports
    firewalld opens, and whether the etcd service is running and enabled.
  - One module call instead of fact gathering, C(find), C(stat) and C(systemctl) tasks. The server
    role decides from it how each member starts and which of its tasks have anything to do.
  - Reads only, except that with O(lock) it also takes the run lock of M(quorum.etcd.run_lock) in the same
    call, and fails when another run holds it.
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: It only reads, in check mode too (the lock of O(lock) is only looked at).
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
options:
  data_dir:
    description: The etcd data directory to look into.
    type: path
    default: /var/lib/etcd
  interface:
    description: Also report the IPv4 address of this interface in RV(interface_ipv4); fails when it has none.
    type: str
  service:
    description: Name of the etcd systemd unit whose state is reported.
    type: str
    default: etcd
  user:
    description: Report whether this user exists, in RV(user).
    type: str
    default: etcd
  paths:
    description: Further files and directories whose type, owner, group, mode (and SHA-1 for files) are reported in RV(paths).
    type: list
    elements: path
    default: []
  config_file:
    description: The etcd environment file whose C(ETCD_*) variables are reported in RV(config).
    type: path
    default: /etc/etcd/etcd.conf
  binary:
    description: Path of the etcd binary whose version and real path are reported in RV(etcd).
    type: path
    default: /usr/local/bin/etcd
  certificates:
    description: PEM files whose certificates' SHA-256 fingerprints are reported in RV(certificates).
    type: list
    elements: path
    default: []
  probe:
    description:
      - Also ask the host's own member, at the client URLs C(ETCD_ADVERTISE_CLIENT_URLS) of O(config_file),
        what quorum.etcd.cluster_info reports of the cluster, in RV(cluster). Saves a task that asks the members
        from one host.
      - Asked only when the configuration has client URLs and O(probe.client_cert) (when set) exists, so a new
        host costs nothing; a stopped member answers at once with a refused connection. A member whose client URLs
        are all plain HTTP is asked without the TLS options while O(probe.client_cert) does not exist yet (a cluster
        moving to TLS).
    type: dict
    suboptions:
      ca_cert:
        description: CA file the member's certificate is checked against.
        type: path
      client_cert:
        description: Client certificate.
        type: path
      client_key:
        description: Key of O(probe.client_cert).
        type: path
      user:
        description: etcd user name when authentication is on.
        type: str
      password:
        description: Password of O(probe.user).
        type: str
      timeout:
        description: Seconds each request may take.
        type: float
        default: 2
  lock:
    description:
      - Also take the lock that keeps other runs off the cluster (see M(quorum.etcd.run_lock)); the playbooks that
        change a cluster set it on the first host they reach. Fails, naming the run that holds it, when another
        run holds it. Taking it reports no change; in check mode it is only looked at.
    type: dict
    suboptions:
      path:
        description: The lock file.
        type: path
        required: true
      owner:
        description: The run's own identity.
        type: str
        required: true
      holder:
        description: Who holds it, in words.
        type: str
        default: ""
      timeout:
        description: Seconds after which a lock left behind counts as expired.
        type: int
        default: 7200
      force:
        description: Take the lock even when another run holds it.
        type: bool
        default: false
  fsync_samples:
    description:
      - Also measure how long the disk of O(data_dir) takes to make a small write durable, as etcd's write-ahead log
        does (append 2 KiB, fdatasync), this many times, in a temporary file removed again (in check mode too);
        RV(fsync) has the figures. V(0) measures nothing.
    type: int
    default: 0
    version_added: 0.2.0
  srv:
    description:
      - Also look up the DNS SRV records a member bootstrapping with C(--discovery-srv) reads
        (C(_etcd-server-ssl._tcp.<domain>) and C(_etcd-server._tcp.<domain>)), through the host's name servers
        (C(/etc/resolv.conf)), and resolve their targets; RV(srv) has them. Reads only.
      - Not looked up when O(data_dir) already holds a member, which never reads them again, so that a run
        against a running cluster does not wait for a name server that is gone.
    type: dict
    version_added: 0.2.0
    suboptions:
      domain:
        description: The domain of C(--discovery-srv).
        type: str
        required: true
      service_name:
        description: The suffix of C(--discovery-srv-name), if any.
        type: str
        default: ""
      own_host:
        description: The host name or address of the member's advertised peer URL, whose addresses are reported too.
        type: str
        default: ""
notes:
  - Needs C(ip) from iproute2 and, for the service states, C(systemctl).
"""

EXAMPLES = r"""
- name: Look at the host before bootstrapping
  quorum.etcd.host_info:
    data_dir: /var/lib/etcd
  register: host

- name: Refuse to bootstrap into a used data directory
  ansible.builtin.assert:
    that: not host.data_dir.entries
"""

RETURN = r"""
srv:
  description:
    - With O(srv), the lookup, C(domain), C(records) (each C(scheme), C(service), C(target), C(port), C(priority),
      C(weight) and the C(addresses) the target resolves to), C(own_addresses) (those of O(srv.own_host)) and
      C(errors) (of the SRV names without records, and of names that did not resolve).
  returned: when O(srv) is set and O(data_dir) holds no member yet
  type: dict
  version_added: 0.2.0
fsync:
  description: With O(fsync_samples), the latency of a small durable write on the data directory's disk.
  returned: when O(fsync_samples) is more than 0
  type: dict
  version_added: 0.2.0
  contains:
    path: {description: "The directory measured in: O(data_dir), or the nearest one above it that exists.", type: str}
    samples: {description: The number of writes., type: int}
    p50_ms: {description: "The median, in milliseconds.", type: float}
    p99_ms: {description: "The 99th percentile, in milliseconds; etcd's hardware guide asks for less than 10.", type: float}
    max_ms: {description: "The slowest write, in milliseconds.", type: float}
ipv4_addresses:
  description: The host's IPv4 addresses, loopback excluded, in interface order.
  returned: always
  type: list
  elements: str
  sample: [10.213.0.11]
ipv6_addresses:
  description: The host's global IPv6 addresses.
  returned: always
  type: list
  elements: str
default_ipv4:
  description: The source address of the IPv4 default route, or null on hosts without one.
  returned: always
  type: str
interface_ipv4:
  description: The first IPv4 address of O(interface), when given.
  returned: when O(interface) is set
  type: str
data_dir:
  description: The data directory's state.
  returned: always
  type: dict
  contains:
    path: {description: The path looked at., type: str}
    exists: {description: Whether it exists., type: bool}
    entries: {description: Names of what it holds., type: list, elements: str}
    initialized: {description: Whether it holds an etcd member (a C(member) directory)., type: bool}
paths:
  description:
    - Type (C(directory), C(file) or C(other)), owner, group and octal mode of O(data_dir) and each of
      O(paths), with the SHA-1 checksum of files; null for a missing one. Links are followed.
  returned: always
  type: dict
  sample: {/var/lib/etcd: {type: directory, owner: etcd, group: etcd, mode: "0700"}, /etc/etcd/etcd.conf: null}
user:
  description: The user O(user), or null when it does not exist.
  returned: always
  type: dict
  sample: {name: etcd, group: etcd, home: /var/lib/etcd, shell: /usr/sbin/nologin}
etcd:
  description: The binary O(binary), or null when it is missing.
  returned: always
  type: dict
  sample: {path: /opt/etcd/v3.5.1/etcd, version: 3.5.1}
config:
  description:
    - The C(ETCD_*) variables of O(config_file), quotes removed; empty when the file is missing.
    - The server role keeps a member's C(ETCD_INITIAL_*) values from here once the member has data,
      since etcd reads them only at its first start.
  returned: always
  type: dict
  sample: {ETCD_NAME: etcd1, ETCD_INITIAL_CLUSTER_STATE: new}
machine_id:
  description:
    - The host's C(/etc/machine-id), empty when it has none. Inventory hosts with the same one are one machine
      (several etcd instances on it, C(etcd_instance)), and must not share ports, directories or a unit.
  returned: always
  type: str
container_engines:
  description:
    - The path of each container engine's command on the host, empty when it has none, for a member that runs etcd
      in a container (the server role's C(etcd_runtime)).
  returned: always
  type: dict
  sample: {podman: /usr/bin/podman, docker: ''}
firewalld_active:
  description: Whether firewalld is running.
  returned: always
  type: bool
firewalld_ports:
  description:
    - Ports firewalld opens in its default zone both now and permanently, such as C(2379/tcp).
    - The permanent ports are read from the zone's XML file, the running ones from firewalld over D-Bus (C(busctl)),
      or from C(firewall-cmd) where D-Bus does not answer.
  returned: always
  type: list
  elements: str
service_active:
  description: Whether the etcd unit O(service) is running.
  returned: always
  type: bool
service_enabled:
  description: Whether the etcd unit O(service) starts at boot.
  returned: always
  type: bool
lock_note:
  description: With O(lock), what stood in the way and was replaced (an expired or broken lock), or null.
  returned: always
  type: str
certificates:
  description:
    - For each file of O(certificates), the SHA-256 fingerprints (lower-case hex of the DER) of the certificates
      it holds, in order; null for a file that is missing or unreadable.
  returned: always
  type: dict
  sample: {/etc/etcd/pki/ca.crt: [3f0c...]}
cluster:
  description:
    - What quorum.etcd.cluster_info reports when asked at the member's own client URLs (members, endpoints,
      leader, healthy, problems, answered), or null when O(probe) is not set, the configuration has no client
      URLs or the client certificate is missing.
  returned: always
  type: dict
"""

import grp
import hashlib
import json
import os
import pwd
import re
import stat


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.quorum.etcd.plugins.module_utils.cluster_view import gather
from ansible_collections.quorum.etcd.plugins.module_utils.disk_probe import fsync_latency
from ansible_collections.quorum.etcd.plugins.module_utils.dns_srv import srv_report
from ansible_collections.quorum.etcd.plugins.module_utils.firewalld import Firewalld
from ansible_collections.quorum.etcd.plugins.module_utils.etcd_client import EtcdClient
from ansible_collections.quorum.etcd.plugins.module_utils.pem import file_fingerprints
from ansible_collections.quorum.etcd.plugins.module_utils import run_lock


def _ip_json(module, args):
    rc, out, err = module.run_command(["ip", "-j"] + args, environ_update={"LC_ALL": "C"})
    if rc != 0:
        module.fail_json(msg="'ip -j %s' failed: %s" % (" ".join(args), err.strip()))
    return json.loads(out or "[]")


def _addresses(module):
    ipv4, ipv6, by_interface = [], [], {}
    for link in _ip_json(module, ["addr", "show"]):
        for info in link.get("addr_info", []):
            local = info.get("local")
            if info.get("family") == "inet" and not local.startswith("127."):
                ipv4.append(local)
                by_interface.setdefault(link["ifname"], []).append(local)
            elif info.get("family") == "inet6" and info.get("scope") == "global":
                ipv6.append(local)
    return ipv4, ipv6, by_interface


def _default_ipv4(module):
    for route in _ip_json(module, ["-4", "route", "show", "default"]):
        source = route.get("prefsrc")
        if not source and route.get("gateway"):
            got = _ip_json(module, ["-4", "route", "get", route["gateway"]])
            source = got[0].get("prefsrc") if got else None
        if source:
            return source
    return None


def _unit_is(module, question, unit):
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return False
    rc, out, err = module.run_command([systemctl, question, unit], environ_update={"LC_ALL": "C"})
    return out.strip() in ("active", "enabled")


def _path(path):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    kind = "directory" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(info.st_mode) else "other"
    found = {"type": kind, "owner": _name(pwd.getpwuid, info.st_uid), "group": _name(grp.getgrgid, info.st_gid),
             "mode": "%04o" % stat.S_IMODE(info.st_mode)}
    if kind == "file":
        with open(path, "rb") as handle:
            found["checksum"] = hashlib.sha1(handle.read()).hexdigest()
    return found


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def _machine_id():
    try:
        with open('/etc/machine-id') as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return ''


def _user(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {"name": name, "group": _name(grp.getgrgid, entry.pw_gid), "home": entry.pw_dir, "shell": entry.pw_shell}


def _etcd(module, binary):
    if not os.path.exists(binary):
        return None
    rc, out, err = module.run_command([binary, "--version"], environ_update={"LC_ALL": "C"})
    found = re.search(r"etcd Version: (\S+)", out)
    return {"path": os.path.realpath(binary), "version": found.group(1) if found else None}


def _env_file(path):
    variables = {}
    try:
        with open(path) as handle:
            for line in handle:
                found = re.match(r'^\s*(ETCD_[A-Z0-9_]+)=(.*)$', line.rstrip("\n"))
                if found:
                    variables[found.group(1)] = found.group(2).strip().strip('"').strip("'")
    except FileNotFoundError:
        pass
    return variables


def _data_dir(path):
    exists = os.path.isdir(path)
    entries = sorted(os.listdir(path)) if exists else []
    return {"path": path, "exists": exists, "entries": entries,
            "initialized": os.path.isdir(os.path.join(path, "member"))}


def _cluster(probe, config):
    """The cluster as the host's own member sees it, or None when there is nothing to ask."""
    urls = [u.strip() for u in config.get("ETCD_ADVERTISE_CLIENT_URLS", "").split(",") if u.strip()]
    if probe is None or not urls:
        return None
    if probe.get("client_cert") and not os.path.exists(probe["client_cert"]):
        if [u for u in urls if not u.startswith("http://")]:
            return None
        # A plain-HTTP member about to move to TLS (quorum.etcd.enable_tls) has no certificates yet.
        probe = dict((k, v) for k, v in probe.items() if k not in ("ca_cert", "client_cert", "client_key"))
    try:
        return gather(EtcdClient(dict(probe, endpoints=urls, validate_certs=True)))
    except Exception as e:  # pylint: disable=broad-except
        # A probe that cannot be made is an answer the plan reads, not a failure of the host.
        return {"answered": False, "healthy": False, "members": [], "leader": None, "problems": [str(e)],
                "endpoints": [{"endpoint": url, "error": str(e)} for url in urls]}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            data_dir=dict(type="path", default="/var/lib/etcd"),
            interface=dict(type="str"),
            service=dict(type="str", default="etcd"),
            user=dict(type="str", default="etcd"),
            paths=dict(type="list", elements="path", default=[]),
            config_file=dict(type="path", default="/etc/etcd/etcd.conf"),
            binary=dict(type="path", default="/usr/local/bin/etcd"),
            certificates=dict(type="list", elements="path", default=[]),
            probe=dict(type="dict", options=dict(
                ca_cert=dict(type="path"),
                client_cert=dict(type="path"),
                client_key=dict(type="path", no_log=False),
                user=dict(type="str"),
                password=dict(type="str", no_log=True),
                timeout=dict(type="float", default=2.0),
            ), required_together=[["client_cert", "client_key"], ["user", "password"]]),
            lock=dict(type="dict", options=run_lock.LOCK_OPTIONS),
            fsync_samples=dict(type="int", default=0),
            srv=dict(type="dict", options=dict(
                domain=dict(type="str", required=True),
                service_name=dict(type="str", default=""),
                own_host=dict(type="str", default=""),
            )),
        ),
        supports_check_mode=True,
    )
    lock = module.params["lock"]
    lock_note = None
    if lock:
        # First: a run that may not go on reads nothing more.
        try:
            lock_note = run_lock.acquire(lock["path"], lock["owner"], lock["holder"], lock["timeout"], lock["force"],
                                         module.check_mode)
        except run_lock.LockHeld as e:
            module.fail_json(msg=str(e), changed=False)
    ipv4, ipv6, by_interface = _addresses(module)
    result = dict(
        changed=False,
        ipv4_addresses=ipv4,
        ipv6_addresses=ipv6,
        default_ipv4=_default_ipv4(module),
        data_dir=_data_dir(module.params["data_dir"]),
        paths={path: _path(path) for path in [module.params["data_dir"]] + module.params["paths"]},
        user=_user(module.params["user"]),
        machine_id=_machine_id(),
        container_engines=dict((engine, module.get_bin_path(engine) or '') for engine in ('podman', 'docker')),
        etcd=_etcd(module, module.params["binary"]),
        config=_env_file(module.params["config_file"]),
        firewalld_active=_unit_is(module, "is-active", "firewalld"),
        service_active=_unit_is(module, "is-active", module.params["service"]),
        service_enabled=_unit_is(module, "is-enabled", module.params["service"]),
        lock_note=lock_note,
    )
    result["firewalld_ports"] = sorted(Firewalld(module).open_ports()) if result["firewalld_active"] else []
    result["cluster"] = _cluster(module.params["probe"], result["config"])
    result["certificates"] = {path: file_fingerprints(path) for path in module.params["certificates"]}
    if module.params["fsync_samples"] > 0:
        result["fsync"] = fsync_latency(module.params["data_dir"], module.params["fsync_samples"])
    if module.params["srv"] and not result["data_dir"]["initialized"]:
        result["srv"] = srv_report(**module.params["srv"])
    interface = module.params["interface"]
    if interface:
        if not by_interface.get(interface):
            module.fail_json(msg="interface %s has no IPv4 address; interfaces with one: %s"
                             % (interface, ", ".join(sorted(by_interface)) or "none"), **result)
        result["interface_ipv4"] = by_interface[interface][0]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
