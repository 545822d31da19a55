# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order members restart in: followers first, the leader last, so that the
cluster changes leader at most once.

The filter is documented in plugins/filter/restart_order.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def restart_order(hosts, plan):
    leader = (plan or {}).get('leader_host') or ''
    return [h for h in hosts if h != leader] + [h for h in hosts if h == leader]
