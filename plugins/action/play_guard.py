# -*- coding: utf-8 -*-
# Copyright (c) quorum.etcd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""quorum.etcd.play_guard: refuse a play whose strategy runs the members of a cluster apart.

Only the controller knows the play's strategy; no variable tells a template.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {"what": {"type": "str", "default": "this play"}}

# Strategies under which every host finishes a task before any starts the next one (and
# linear ones of other collections, such as mitogen_linear).
IN_STEP = ("linear", "debug")


def strategy_name(strategy):
    """'ansible.builtin.free' and 'free' are the same strategy."""
    return str(strategy or "linear").rsplit(".", 1)[-1]


def in_step(name):
    return name in IN_STEP or name.endswith("_linear")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, settings = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        play = self._task.get_play()
        # A role's tasks see the play as written: a strategy given as a template is templated here.
        named = self._templar.template(play.strategy) if play.strategy else play.strategy
        strategy = strategy_name(named)
        if not in_step(strategy):
            raise AnsibleActionFail(
                "%s: play %r runs with strategy %s, under which each host plans the cluster alone and members "
                "could restart together: run it with the linear strategy (the default); the role changes members "
                "one at a time itself. Nothing was changed" % (settings["what"], play.get_name(), named))
        result.update(changed=False, strategy=strategy)
        return result
