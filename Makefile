# Entry points. `make demo` deploys a cluster on the local lab and prints its
# status; `make test` installs everything and runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := source scripts/env.sh &&
HOSTS ?= 3

.PHONY: help deps image mirror lab lab-down demo status test lint unit molecule build ee bench-deploy bench-templating bench-rolling bench-client bench-defrag

help:
	@echo "make demo        lab of $(HOSTS) hosts, deploy etcd, print the status table"
	@echo "make test        install, lint, unit tests, every molecule scenario"
	@echo "make lab-down    remove the lab (hosts, network, mirror server)"

deps:
	@bash scripts/deps.sh

image: deps
	@bash scripts/image.sh

mirror: deps
	@$(ENV) python tests/lab/release_mirror.py build .cache/mirror

lab: image mirror
	@bash scripts/lab.sh up $(HOSTS)

lab-down: deps
	@bash scripts/lab.sh down

demo: lab
	@$(ENV) ansible-playbook -i .cache/lab/inventory.yml quorum.etcd.deploy
	@$(MAKE) --no-print-directory status

status:
	@$(ENV) ansible-playbook -i .cache/lab/inventory.yml quorum.etcd.status

test:
	@bash scripts/test.sh

lint: deps
	@bash scripts/test.sh lint

unit: deps
	@bash scripts/test.sh unit

molecule: deps
	@bash scripts/test.sh molecule

build: deps
	@bash scripts/build.sh

# An execution environment for AWX (ee/execution-environment.yml); EE_BASE_IMAGE=<image> builds it.
ee: build
	@bash scripts/ee.sh

bench-deploy: image mirror
	@$(ENV) python benchmarks/deploy.py

bench-templating: image mirror
	@$(ENV) python benchmarks/templating.py

bench-rolling: image mirror
	@$(ENV) python benchmarks/rolling.py

bench-client: deps mirror
	@$(ENV) python benchmarks/client.py

bench-defrag: deps mirror
	@$(ENV) python benchmarks/defrag.py
