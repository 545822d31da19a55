#!/usr/bin/env python3
"""The lab hosts' command agent: what ssh's ControlPersist master is to an operator's hosts.

`podman exec` costs a podman, conmon and runc start, about 0.2 s of CPU on the controller,
for every module; ssh with a persistent master costs milliseconds. create.yml starts this
agent in each lab host, listening on a unix socket in a directory shared with the controller,
and the lab_podman connection runs each command through it:

    request:  one JSON line {"argv": [...], "stdin": N}, then N bytes for the command's stdin
    answer:   one JSON line {"rc": R, "stdout": M, "stderr": K}, then M + K bytes

Each command runs in its own session, from /, with the environment `podman exec` gave the
agent, as `podman exec` would run it. Python 3 standard library only: the hosts need no more.
"""
import json
import os
import socketserver
import subprocess
import sys


class Command(socketserver.StreamRequestHandler):
    def handle(self):
        request = json.loads(self.rfile.readline())
        size = request.get('stdin')
        stdin = self.rfile.read(size) if size is not None else None
        try:
            feed = dict(input=stdin) if stdin is not None else dict(stdin=subprocess.DEVNULL)
            done = subprocess.run(request['argv'], capture_output=True, cwd='/', start_new_session=True, **feed)
            rc, stdout, stderr = done.returncode, done.stdout, done.stderr
        except OSError as e:
            # What a shell says for a command it cannot run.
            rc, stdout, stderr = 127, b'', ('%s: %s\n' % (request['argv'][0], e.strerror)).encode()
        header = json.dumps(dict(rc=rc, stdout=len(stdout), stderr=len(stderr))).encode()
        self.wfile.write(header + b'\n' + stdout + stderr)


class Agent(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main(path):
    if os.path.exists(path):
        os.unlink(path)
    with Agent(path, Command) as agent:
        os.chmod(path, 0o600)
        agent.serve_forever()


if __name__ == '__main__':
    main(sys.argv[1])
