# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The membership changes of a plan that the hosts still in the play can make: a host
that failed after the plan was made takes no part, and nothing after it changes.

The filter is documented in plugins/filter/plan_in_play.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def plan_in_play(plan, play_hosts):
    running = set(play_hosts or [])
    joiners = []
    for host in plan.get('joiners') or []:
        if host not in running:
            break
        joiners.append(host)
    steady = [h for h in plan.get('steady') or [] if h in running]
    urls = plan.get('client_urls') or {}
    planned = (plan.get('joiners') or []) + (plan.get('leavers') or []) + (plan.get('steady') or [])
    dropped = [h for h in planned if h not in running]
    return {
        'joiners': joiners,
        'leavers': [] if dropped else list(plan.get('leavers') or []),
        'anchor': steady[0] if steady else '',
        'anchor_urls': [urls[h] for h in steady],
        'dropped': dropped,
    }
