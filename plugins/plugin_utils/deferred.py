# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters whose code is imported at their first call.

ansible-core loads every filter file of a collection in each task's worker that uses one of its
filters, compiling each from source. The larger filters keep their documentation in
plugins/filter/ and their code here in plugins/plugin_utils/, so that a worker compiles only
the code of the filters it calls."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib


def deferred(module, name):
    """The function ``name`` of plugins/plugin_utils/``module``.py, imported when first called."""
    def call(*args, **kwargs):
        implementation = importlib.import_module('ansible_collections.quorum.etcd.plugins.plugin_utils.' + module)
        return getattr(implementation, name)(*args, **kwargs)
    call.__name__ = name
    call.__doc__ = 'The %s filter (plugins/plugin_utils/%s.py).' % (name, module)
    return call
