# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long a disk takes to make a small write durable, the way etcd's write-ahead log does:
append a record, fdatasync, again. etcd's hardware guide asks for a 99th percentile under 10 ms."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

RECORD = b'\0' * 2048  # about one WAL entry of a small put


def _existing(path):
    """The path itself, or the nearest directory above it that exists (before the first deploy)."""
    while path and not os.path.isdir(path):
        parent = os.path.dirname(path.rstrip('/'))
        if parent == path:
            break
        path = parent
    return path or '/'


def _percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))]


def fsync_latency(directory, samples):
    """{path, samples, p50_ms, p99_ms, max_ms} of ``samples`` appends with fdatasync in a temporary file
    in ``directory`` (or the nearest existing directory above it); the file is removed again."""
    where = _existing(directory)
    path = os.path.join(where, '.quorum-etcd-fsync-%d' % os.getpid())
    sync = getattr(os, 'fdatasync', os.fsync)
    took = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for dummy in range(samples):
            started = time.monotonic()
            os.write(fd, RECORD)
            sync(fd)
            took.append((time.monotonic() - started) * 1000.0)
    finally:
        os.close(fd)
        os.unlink(path)
    took.sort()
    return dict(path=where, samples=samples, p50_ms=round(_percentile(took, 0.5), 3),
                p99_ms=round(_percentile(took, 0.99), 3), max_ms=round(took[-1], 3))
