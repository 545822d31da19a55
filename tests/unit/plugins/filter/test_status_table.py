"""The status table's sizes read as etcdctl's (go-humanize's Bytes, SI units)."""
import pytest

from ansible_collections.quorum.etcd.plugins.filter.status_table import _human_bytes


@pytest.mark.parametrize("size, shown", [
    (0, "0 B"), (9, "9 B"), (10, "10 B"), (999, "999 B"), (1000, "1.0 kB"), (1500, "1.5 kB"), (9999, "10 kB"),
    (20480, "20 kB"), (25000, "25 kB"), (1048576, "1.0 MB"), (2147483648, "2.1 GB"), (None, ""),
])
def test_sizes_read_as_etcdctl_prints_them(size, shown):
    assert _human_bytes(size) == shown
