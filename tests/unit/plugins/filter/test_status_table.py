"""The status table's sizes read as etcdctl's (go-humanize's Bytes, SI units)."""
import pytest

from ansible_collections.quorum.etcd.plugins.plugin_utils.status_table import _human_bytes


@pytest.mark.parametrize("size, shown", [
    (0, "0 B"), (9, "9 B"), (10, "10 B"), (999, "999 B"), (1000, "1.0 kB"), (1500, "1.5 kB"), (9999, "10 kB"),
    (20480, "20 kB"), (25000, "25 kB"), (1048576, "1.0 MB"), (2147483648, "2.1 GB"), (None, ""),
])
def test_sizes_read_as_etcdctl_prints_them(size, shown):
    assert _human_bytes(size) == shown


def test_each_disk_is_reported_below_the_table_with_etcds_guide_where_it_is_slower():
    from ansible_collections.quorum.etcd.plugins.filter.status_table import status_table
    info = {'endpoints': [], 'healthy': True, 'cluster_id': 'c1', 'problems': []}
    fast = {'path': '/var/lib/etcd', 'samples': 100, 'p50_ms': 0.4, 'p99_ms': 1.26, 'max_ms': 2.0}
    slow = dict(fast, p99_ms=12.0)
    lines = status_table(info, disks={'etcd2': slow, 'etcd1': fast, 'etcd3': None})
    assert lines[-1] == 'cluster c1: healthy'
    assert lines[-4:-1] == [
        'disk of etcd1 (/var/lib/etcd): fsync p99 1.3 ms, median 0.4 ms, max 2.0 ms over 100 writes of 2 KiB',
        'disk of etcd2 (/var/lib/etcd): fsync p99 12.0 ms, median 0.4 ms, max 2.0 ms over 100 writes of 2 KiB; etcd '
        'asks for less than 10 ms',
        'disk of etcd3: not measured']
    assert status_table(info)[-1] == 'cluster c1: healthy'
