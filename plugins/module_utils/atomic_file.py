# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace a file whole: a reader (etcd, systemd, the unit) sees the old content or the new, never a part."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def write_atomically(path, data, uid, gid, mode):
    """Write bytes to a temporary file beside path and rename it over path. Owner and mode are set before
    the content, so that a key is never readable by anyone else; the content is on disk before the rename."""
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.%s.' % os.path.basename(path))
    try:
        os.fchown(handle, uid, gid)
        os.fchmod(handle, mode)
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
