#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: run_lock
short_description: Take or give back the lock that keeps two runs off one etcd cluster
version_added: 0.1.0
description:
  - The collection's playbooks that change a cluster take this lock on the first host of the cluster they reach
    (through M(quorum.etcd.host_info)'s O(quorum.etcd.host_info#module:lock) option) and give it back when they
    end, failed or not, with a raw one-line equivalent of O(state=absent) that sends no module. A second run that
    starts meanwhile is refused before it changes anything, naming the run that holds the lock.
  - The lock is a JSON file, created and replaced under an flock, holding its owner, a description of the run, and
    when it was taken and expires. A run whose controller died leaves it behind; it expires after O(timeout)
    seconds, or O(force=true) takes it over at once.
  - Taking and giving back the lock reports no change; it is the run's bookkeeping, not the host's state.
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: With O(state=present), the lock is only looked at, and a lock another run holds still fails.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
options:
  path:
    description: The lock file.
    type: path
    required: true
  owner:
    description: The run's own identity, the same for every task of the run.
    type: str
    required: true
  holder:
    description: Who holds it, in words, for the message a refused run prints (the controller, the playbook).
    type: str
    default: ""
  state:
    description: V(present) takes the lock (or renews the run's own); V(absent) removes it if the owner holds it.
    type: str
    choices: [present, absent]
    default: present
  timeout:
    description: Seconds after which a lock left behind counts as expired.
    type: int
    default: 7200
  force:
    description: Take the lock even when another run holds it, once that run is known to be gone.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Keep other runs off the cluster while this play changes it
  quorum.etcd.run_lock:
    path: /run/quorum-etcd/main.lock
    owner: "{{ run_owner }}"
    holder: "{{ ansible_play_name }}"
  run_once: true

- name: Give the lock back
  quorum.etcd.run_lock:
    path: /run/quorum-etcd/main.lock
    owner: "{{ run_owner }}"
    state: absent
  run_once: true
"""

RETURN = r"""
note:
  description: What stood in the way and was replaced (an expired or broken lock), or null.
  returned: always
  type: str
released:
  description: Whether O(state=absent) removed the owner's lock.
  returned: when O(state=absent)
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.quorum.etcd.plugins.module_utils.run_lock import LOCK_OPTIONS, LockHeld, acquire, release


def main():
    module = AnsibleModule(
        argument_spec=dict(LOCK_OPTIONS, state=dict(type="str", choices=["present", "absent"], default="present")),
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "absent":
        released = False if module.check_mode else release(params["path"], params["owner"])
        module.exit_json(changed=False, note=None, released=released)
    try:
        note = acquire(params["path"], params["owner"], params["holder"], params["timeout"], params["force"],
                       module.check_mode)
    except LockHeld as e:
        module.fail_json(msg=str(e), changed=False)
    module.exit_json(changed=False, note=note)


if __name__ == "__main__":
    main()
