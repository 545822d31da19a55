"""scripts/failure_digest.py picks, from a failed scenario's log, the lines that say why it failed."""
import os
import sys

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'scripts'))
from failure_digest import digest  # noqa: E402

LOG = """\x1b[36mINFO    \x1b[0m container \u279c converge: Executing
  \x1b[2m\u2502\x1b[0m TASK [quorum.etcd.server : Start etcd] ****
  \x1b[2m\u2502\x1b[0m fatal: [container-2]: FAILED! => {"changed": false, "msg": "Unable to start service etcd"}
  \x1b[2m\u2502\x1b[0m ok: [container-1]
  \x1b[2m\u2502\x1b[0m E   AssertionError: ('container-3', 'localhost/quorum-etcd:v3.6.16')
  \x1b[2m\u2502\x1b[0m E   AssertionError: ('container-3', 'localhost/quorum-etcd:v3.6.16')
FAILED tests/test_container.py::test_an_upgrade_changes_each_members_image_tag - AssertionError: 1 != 0
FAILED tests/test_container.py::test_a_member_removed_and_added_back_runs_again - assert 2 == 0
"""


def test_the_first_failures_once_each_then_the_summary_lines_last_without_colours_or_frame():
    assert digest(LOG.splitlines(True)) == [
        'fatal: [container-2]: FAILED! => {"changed": false, "msg": "Unable to start service etcd"}',
        "E   AssertionError: ('container-3', 'localhost/quorum-etcd:v3.6.16')",
        'FAILED tests/test_container.py::test_an_upgrade_changes_each_members_image_tag - AssertionError: 1 != 0',
        'FAILED tests/test_container.py::test_a_member_removed_and_added_back_runs_again - assert 2 == 0',
    ]


def test_a_passing_log_says_nothing_and_a_long_line_is_cut():
    assert digest(['ok: [container-1]\n', 'PASSED\n']) == []
    cut = digest(['fatal: [h]: FAILED! => ' + 'x' * 1000])
    assert len(cut) == 1 and len(cut[0]) == 240 and cut[0].endswith('...')
