# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld's open ports in its default zone, read and opened over D-Bus with busctl.

A firewall-cmd run starts a Python interpreter and takes about a quarter of a second
on a small host; a busctl call takes a few milliseconds. Where busctl is missing or
firewalld does not answer on the system bus, firewall-cmd does the same job."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from xml.etree import ElementTree

BUS_NAME = 'org.fedoraproject.FirewallD1'
RUNTIME = ('/org/fedoraproject/FirewallD1', 'org.fedoraproject.FirewallD1')
CONFIG = ('/org/fedoraproject/FirewallD1/config', 'org.fedoraproject.FirewallD1.config')


class Firewalld(object):
    """The default zone's ports on this host, for one module run."""

    def __init__(self, module, label='firewalld'):
        self.module = module
        self.label = label  # what failure messages start with, such as the ports asked for
        self.busctl = module.get_bin_path('busctl')
        self.firewall_cmd = module.get_bin_path('firewall-cmd')
        self._zone = None

    def _call(self, path, interface, method, signature='', *args):
        """One D-Bus method call's return values, or None when busctl cannot make it."""
        if not self.busctl:
            return None
        command = [self.busctl, '--json=short', 'call', BUS_NAME, path, interface, method]
        if signature:
            command += [signature] + [str(a) for a in args]
        rc, out, err = self.module.run_command(command, environ_update={'LC_ALL': 'C'})
        if rc != 0:
            return None
        if not out.strip():
            return []  # a method that returns nothing
        try:
            return json.loads(out)['data']
        except (ValueError, KeyError, TypeError):
            return None

    def zone(self):
        if self._zone is None:
            answer = self._call(RUNTIME[0], RUNTIME[1], 'getDefaultZone')
            self._zone = answer[0] if answer else ''
        return self._zone

    def running_ports(self):
        """Ports the running firewall opens, such as 2379/tcp."""
        if self.zone():
            answer = self._call(RUNTIME[0], RUNTIME[1] + '.zone', 'getPorts', 's', self.zone())
            if answer is not None:
                return set('%s/%s' % (port, protocol) for port, protocol in answer[0])
        return set(self._firewall_cmd_list())

    def permanent_ports(self):
        """Ports the permanent configuration opens, read from the zone's file: the
        default zone in firewalld.conf, an administrator's copy before the shipped one."""
        zone = 'public'
        try:
            with open('/etc/firewalld/firewalld.conf') as conf:
                for line in conf:
                    if line.startswith('DefaultZone='):
                        zone = line.split('=', 1)[1].strip()
        except (IOError, OSError):
            pass
        for directory in ('/etc/firewalld/zones', '/usr/lib/firewalld/zones'):
            try:
                root = ElementTree.parse(os.path.join(directory, zone + '.xml')).getroot()
            except (IOError, OSError, ElementTree.ParseError):
                continue
            return set('%s/%s' % (p.get('port'), p.get('protocol')) for p in root.findall('port'))
        return set()

    def open_ports(self):
        """Ports open both now and after a reload or reboot."""
        return self.running_ports() & self.permanent_ports()

    def add(self, ports, check_mode=False):
        """Open each port now and permanently; return those that were not open in both."""
        if not self.zone():
            self._require_firewall_cmd()
        running, permanent = self.running_ports(), self.permanent_ports()
        missing = [p for p in ports if p not in running or p not in permanent]
        if check_mode or not missing:
            return missing
        self._add_running([p for p in ports if p not in running])
        self._add_permanent([p for p in ports if p not in permanent])
        return missing

    def _add_running(self, ports):
        # Each port over D-Bus; those it did not take in one firewall-cmd run.
        left = [p for p in ports if not self.zone() or self._call(
            RUNTIME[0], RUNTIME[1] + '.zone', 'addPort', 'sssi', self.zone(), *(p.split('/', 1) + [0])) is None]
        if left:
            self._firewall_cmd_add([], left)

    def _add_permanent(self, ports):
        path = self._call(CONFIG[0], CONFIG[1], 'getZoneByName', 's', self.zone()) if ports and self.zone() else None
        left = [p for p in ports if path is None or self._call(
            path[0], CONFIG[1] + '.zone', 'addPort', 'ss', *p.split('/', 1)) is None]
        if left:
            self._firewall_cmd_add(['--permanent'], left)

    def _require_firewall_cmd(self):
        if not self.firewall_cmd:
            self.module.fail_json(msg='%s: firewalld does not answer on D-Bus and firewall-cmd is not installed'
                                      % self.label)

    def _firewall_cmd_list(self):
        """The running firewall's ports, from firewall-cmd."""
        if not self.firewall_cmd:
            return []
        rc, out, err = self.module.run_command([self.firewall_cmd, '--list-ports'], environ_update={'LC_ALL': 'C'})
        if rc != 0:
            self.module.fail_json(msg='%s: firewall-cmd --list-ports failed: %s' % (self.label, (err or out).strip()))
        return out.split()

    def _firewall_cmd_add(self, scope, ports):
        self._require_firewall_cmd()
        rc, out, err = self.module.run_command([self.firewall_cmd] + scope + ['--add-port=%s' % p for p in ports],
                                               environ_update={'LC_ALL': 'C'})
        if rc != 0:
            self.module.fail_json(msg='%s: firewall-cmd %s--add-port=%s failed: %s'
                                      % (self.label, ' '.join(scope + ['']), ','.join(ports), (err or out).strip()))
