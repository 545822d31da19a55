#!/usr/bin/env bash
# ansible-test sanity on the built collection (scripts/build.sh), each test in a venv of its own.
# ansible-test bootstraps pip in those venvs with a script from its own download site; where that
# is out of reach, this project's venv installs the pip it asks for (scripts/sanity_get_pip.py.in).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

[ -d .cache/build/installed/ansible_collections/quorum/etcd ] || bash scripts/build.sh
# Outside the repository: inside a git work tree, ansible-test tests only what git tracks.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp -r .cache/build/installed/ansible_collections "$root/"
# The pip version ansible-test bootstraps, as it names its cached get-pip script.
pip_version=$(python - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements.get_venv_packages)).group(1))
PY
)
cache=~/.ansible/test/cache
mkdir -p "$cache"
sed "s|@PYTHON@|$PWD/.venv/bin/python|g" scripts/sanity_get_pip.py.in > "$cache/get_pip_${pip_version//./_}.py"
cd "$root/ansible_collections/quorum/etcd"
ansible-test sanity --venv --python 3.11 --color no
