# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a cluster_info result as the table `etcdctl endpoint status -w table` prints.

The filter is documented in plugins/filter/status_table.py."""

from __future__ import annotations

import math

from ansible.errors import AnsibleFilterError

COLUMNS = ("ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER",
           "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS")


def _human_bytes(size):
    """Bytes in SI units, as etcdctl prints them (go-humanize's Bytes): one decimal under 10 of a unit,
    rounded to a tenth first (1500 is 1.5 kB, 20480 is 20 kB)."""
    if size is None:
        return ""
    size = int(size)
    if size < 10:
        return "%d B" % size
    exponent = min(int(math.floor(math.log(size, 1000) + 1e-9)), 6)
    value = math.floor(size / 1000.0 ** exponent * 10 + 0.5) / 10
    return ("%.1f %s" if value < 10 else "%.0f %s") % (value, ("B", "kB", "MB", "GB", "TB", "PB", "EB")[exponent])


def _row(endpoint):
    if endpoint.get("error") and endpoint.get("member_id") is None:
        return [endpoint.get("endpoint", ""), "", "", "", "", "", "", "", "", endpoint["error"]]
    return [
        endpoint.get("endpoint", ""),
        endpoint.get("member_id") or "",
        endpoint.get("version") or "",
        _human_bytes(endpoint.get("db_size")),
        str(bool(endpoint.get("is_leader"))).lower(),
        str(bool(endpoint.get("is_learner"))).lower(),
        str(endpoint.get("raft_term", "")),
        str(endpoint.get("raft_index", "")),
        str(endpoint.get("raft_applied_index", "")),
        endpoint.get("error") or "",
    ]


# etcd's hardware guide: the 99th percentile of the WAL's fsync should stay below 10 ms.
FSYNC_P99_GUIDE_MS = 10


def _disk_line(host, fsync):
    if not fsync:
        return "disk of %s: not measured" % host
    verdict = "" if fsync["p99_ms"] < FSYNC_P99_GUIDE_MS else "; etcd asks for less than %d ms" % FSYNC_P99_GUIDE_MS
    return "disk of %s (%s): fsync p99 %.1f ms, median %.1f ms, max %.1f ms over %d writes of 2 KiB%s" % (
        host, fsync["path"], fsync["p99_ms"], fsync["p50_ms"], fsync["max_ms"], fsync["samples"], verdict)


def status_table(info, disks=None):
    if not isinstance(info, dict) or "endpoints" not in info:
        raise AnsibleFilterError("status_table expects the registered result of quorum.etcd.cluster_info")
    rows = [list(COLUMNS)] + [_row(e) for e in info["endpoints"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(cells, center=False):
        return "|" + "|".join(" %s " % (c.center(w) if center else c.ljust(w)) for c, w in zip(cells, widths)) + "|"

    lines = [rule, line(rows[0], center=True), rule] + [line(r) for r in rows[1:]] + [rule]
    lines.extend(_disk_line(host, fsync) for host, fsync in sorted((disks or {}).items()))
    problems = info.get("problems") or []
    lines.append("cluster %s: %s" % (info.get("cluster_id") or "?", "healthy" if info.get("healthy") else "NOT healthy"))
    lines.extend("- " + p for p in problems)
    return lines
