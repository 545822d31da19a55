# Environment shared by the project's scripts (sourced, not run).
VENV="$PWD/.venv"
export PATH="$VENV/bin:$PATH"
export CONTAINERS_CONF="$PWD/tests/lab/containers.conf"
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# The lab hosts' transport, pipelined podman exec (tests/lab/connection_plugins).
export ANSIBLE_CONNECTION_PLUGINS="$PWD/tests/lab/connection_plugins"
# Its fast path: each host's command agent, as ssh's persistent master (tests/lab/agent.py).
export ANSIBLE_LAB_AGENT_DIR="$PWD/.cache/run/agents"
# Python's default: bytecode caches (__pycache__). An environment that turns them off
# (PYTHONDONTWRITEBYTECODE) has every Ansible worker compile the collection's plugins again:
# 10 % of a no-op deploy's controller CPU (make bench-templating).
unset PYTHONDONTWRITEBYTECODE
