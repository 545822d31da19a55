"""Every plugin's DOCUMENTATION, EXAMPLES and RETURN parse as YAML, as ansible-doc and Galaxy's
import need; DOCUMENTATION names the plugin and describes every option it documents."""
import glob
import importlib
import os
import re

import pytest
import yaml

from conftest import REPO

PLUGINS = sorted(p for p in glob.glob(os.path.join(REPO, 'plugins', '*', '*.py'))
                 if os.path.basename(os.path.dirname(p)) in ('modules', 'filter', 'action')
                 and not os.path.basename(p).startswith('_'))


def blocks(path):
    with open(path) as handle:
        text = handle.read()
    return {name: match.group(2) for name in ('DOCUMENTATION', 'EXAMPLES', 'RETURN')
            for match in [re.search(name + r" = r?(['\"]{3})(.*?)\1", text, re.S)] if match}


@pytest.mark.parametrize('path', PLUGINS, ids=[os.path.relpath(p, REPO) for p in PLUGINS])
def test_the_documentation_parses(path):
    found = blocks(path)
    if os.path.basename(os.path.dirname(path)) == 'action':
        assert not found or 'DOCUMENTATION' not in found  # documented by the module of the same name
        return
    assert 'DOCUMENTATION' in found, path
    for name, text in found.items():
        yaml.safe_load(text)  # raises, naming the line, when it does not parse
    doc = yaml.safe_load(found['DOCUMENTATION'])
    if doc.get('module'):
        assert doc['module'] == os.path.splitext(os.path.basename(path))[0], doc
    else:
        # A filter file may hold several filters: the documented one is among those it registers.
        plugin = importlib.import_module('ansible_collections.quorum.etcd.plugins.filter.'
                                         + os.path.splitext(os.path.basename(path))[0])
        assert doc['name'] in plugin.FilterModule().filters(), '%s documents %s, which it does not register' % (
            path, doc['name'])
    for option, spec in (doc.get('options') or {}).items():
        assert spec.get('description'), '%s: option %s has no description' % (path, option)
