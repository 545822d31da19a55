# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's transport: containers.podman.podman with pipelining.

containers.podman runs `podman exec` without --interactive, so a module cannot come in
on stdin and every task costs a mount, a temporary directory, a copy and a clean-up
(four podman calls). Operators reach their hosts over ssh with pipelining, one call
per module; this plugin gives the lab hosts the same shape, so timings and task counts
measured here match theirs.

Operators' ssh also keeps one master connection per host (ControlPersist), so a command
costs milliseconds, where podman exec costs a podman, conmon and runc start. When the
host runs the lab's agent (tests/lab/agent.py, started by tests/lab/create.yml), commands
and files go through its socket in agent_dir/<container>/sock; without it (a container
just restarted, another lab), through podman exec and the container's mount."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: lab_podman
short_description: Run modules in a lab container with podman exec, pipelined
description:
  - Reaches a podman container by name and sends each module on podman exec's stdin.
  - Mounts the container's file system only when a file is copied in or out.
options:
  remote_addr:
    description: The container's name or ID.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: The user commands run as in the container (default its own, root in the lab).
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Arguments given to podman before its subcommand.
    default: ''
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  agent_dir:
    description:
      - Directory of the lab agents' sockets, one subdirectory per container.
      - Unset, every command goes through podman exec.
    vars:
      - name: ansible_lab_agent_dir
    env:
      - name: ANSIBLE_LAB_AGENT_DIR
  podman_executable:
    description: The podman command.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
'''

import json
import os
import shlex
import socket

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    transport = 'lab_podman'
    has_pipelining = True
    always_pipeline_modules = True

    def _connect(self):
        # The mount costs a podman call; most tasks copy nothing.
        ConnectionBase._connect(self)
        self._connected = True

    def _mount(self):
        if self._mount_point is None:
            PodmanConnection._connect(self)

    def _agent(self, argv, in_data=None):
        """(rc, stdout, stderr) of argv run by the host's agent; None when no agent answers."""
        agent_dir = self.get_option('agent_dir')
        if not agent_dir or self.user:
            return None
        path = os.path.join(agent_dir, self._container_id, 'sock')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except (OSError, ValueError):
            # No agent (yet, or any more): podman exec says whether the host is there.
            sock.close()
            return None
        with sock, sock.makefile('rwb') as stream:
            stream.write(json.dumps(dict(argv=argv, stdin=None if in_data is None else len(in_data))).encode() + b'\n')
            if in_data is not None:
                stream.write(in_data)
            stream.flush()
            line = stream.readline()
            if not line:
                raise AnsibleConnectionFailure('the lab agent of %s closed the connection' % self._container_id)
            answer = json.loads(line)
            return answer['rc'], stream.read(answer['stdout']), stream.read(answer['stderr'])

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        argv = shlex.split(to_native(cmd, errors='surrogate_or_strict'))
        if in_data is not None and not isinstance(in_data, bytes):
            in_data = in_data.encode('utf-8')
        done = self._agent(argv, in_data)
        if done is not None:
            return done
        args = ['exec']
        if in_data is not None:
            args.append('--interactive')
        if self.user:
            args.extend(('--user', self.user))
        rc, stdout, stderr = self._podman(args, argv, in_data)
        # 125 is podman's own failure (no such container, not running): the host is
        # unreachable, as ssh's 255 makes it, not a module that failed.
        if rc == 125:
            raise AnsibleConnectionFailure('podman exec %s: %s' % (self._container_id, to_native(stderr).strip()))
        return rc, stdout, stderr

    def _agent_copy(self, argv, in_data, what):
        """The copy's stdout through the agent, None without one; a copy that fails stops the task."""
        done = self._agent(argv, in_data)
        if done is not None and done[0] != 0:
            raise AnsibleConnectionFailure('could not %s on %s: %s' % (what, self._container_id,
                                                                       to_native(done[2]).strip()))
        return None if done is None else done[1]

    def put_file(self, in_path, out_path):
        with open(in_path, 'rb') as source:
            copied = self._agent_copy(['/bin/sh', '-c', 'cat > "$0"', out_path], source.read(), 'write ' + out_path)
        if copied is None:
            self._mount()
            super(Connection, self).put_file(in_path, out_path)

    def fetch_file(self, in_path, out_path):
        content = self._agent_copy(['cat', in_path], None, 'read ' + in_path)
        if content is None:
            self._mount()
            super(Connection, self).fetch_file(in_path, out_path)
        else:
            with open(out_path, 'wb') as target:
                target.write(content)
