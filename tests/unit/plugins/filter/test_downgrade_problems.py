"""The downgrade rules as the downgrade playbook applies them: one case per rule, pure Python."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.quorum.etcd.plugins.filter.downgrade_problems import FilterModule, downgrade_problems


def cluster(*versions):
    return dict(('etcd%d' % (i + 1), v) for i, v in enumerate(versions))


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'downgrade_problems': downgrade_problems}


def test_one_minor_back_from_3_6_or_3_7_is_allowed():
    assert downgrade_problems(cluster('3.6.16', '3.6.16', '3.6.16'), '3.5.35') == []
    assert downgrade_problems(cluster('3.7.3', '3.7.3', '3.7.3'), '3.6.16') == []


def test_a_half_done_downgrade_may_resume_and_a_done_one_is_no_problem():
    assert downgrade_problems(cluster('3.5.35', '3.6.16', '3.6.16'), '3.5.35') == []
    assert downgrade_problems(cluster('3.5.35', '3.5.35', '3.5.35'), '3.5.35') == []


def test_a_skipped_minor_version_is_refused():
    assert only(downgrade_problems(cluster('3.7.3', '3.7.3', '3.7.3'), '3.5.35')) == (
        'from 3.7 to 3.5.35 skips 3.6: etcd downgrades one minor version at a time. Downgrade to the latest 3.6 '
        'release first, then on from there.')


def test_3_5_has_no_downgrade_job():
    assert only(downgrade_problems(cluster('3.5.35', '3.5.35', '3.5.35'), '3.4.40')).startswith(
        'etcd 3.5 has no downgrade job (etcd 3.6 is the first release that downgrades a live cluster)')


def test_an_upgrade_or_a_patch_downgrade_is_refused():
    assert only(downgrade_problems(cluster('3.6.16', '3.6.16', '3.6.16'), '3.7.3')) == (
        'etcd1 (3.6.16), etcd2 (3.6.16), etcd3 (3.6.16) run older than etcd_version 3.7.3: a downgrade only goes '
        'back, and that is an upgrade; use quorum.etcd.upgrade.')
    assert only(downgrade_problems(cluster('3.6.16', '3.6.16', '3.6.12'), '3.6.12')).startswith(
        "etcd1 (3.6.16), etcd2 (3.6.16) run another 3.6 release than 3.6.12: etcd's downgrade job goes one minor "
        "version back, not between patch releases")


@pytest.mark.parametrize('target', ['3.5', 'latest', None, 'v3.5.35'])
def test_a_target_that_is_not_x_y_z_is_refused(target):
    assert 'is not an exact etcd release X.Y.Z' in only(downgrade_problems(cluster('3.6.16'), target))


def test_no_known_version_or_bad_input():
    assert only(downgrade_problems(cluster(None, ''), '3.5.35')).startswith('no member reported the etcd version')
    assert only(downgrade_problems(cluster('3.6.x'), '3.5.35')).startswith(
        "member etcd1 reports version '3.6.x', which is not a release X.Y.Z")
    with pytest.raises(AnsibleFilterError):
        downgrade_problems(['3.6.16'], '3.5.35')
