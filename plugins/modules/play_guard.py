#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The work is done by the action plugin of the same name (plugins/action/play_guard.py) on the
# controller: only the controller knows how the play runs its hosts. This file documents the options.
DOCUMENTATION = r'''
module: play_guard
short_description: Refuse a play that would run the members of one etcd cluster apart
version_added: 0.1.0
description:
  - The collection's entry points that change a cluster plan it from every member's state at once and then change
    members one at a time themselves. Under a strategy that lets each host go its own way (C(free),
    C(host_pinned)), each host would reach the plan alone and members could restart together, costing the quorum.
  - Fails, naming the play and its strategy, before anything changes. The linear strategy (the default),
    C(debug) and other collections' linear strategies (a name ending in C(_linear)) pass. Plays with C(serial) are
    refused by the plan itself (it lacks the hosts of later batches).
  - Runs on the controller; no connection to the host is made.
author:
  - quorum.etcd contributors (@quorum-etcd)
attributes:
  check_mode:
    description: Refuses the same way; it changes nothing in either mode.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
options:
  what:
    description: What the play does, for the message (for example V(deploy)).
    type: str
    default: this play
'''

EXAMPLES = r'''
- name: Refuse a play that runs the members apart
  quorum.etcd.play_guard:
    what: the rolling restart
'''

RETURN = r'''
strategy:
  description: The play's strategy, as the play names it.
  returned: always
  type: str
  sample: linear
'''
