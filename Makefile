# nova.infra — the two commands a new user needs are `make site` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NOVA_SANDBOX_PORT ?= 4590
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help venv sandbox-up sandbox-down sandbox-status site teardown test test-unit test-integration molecule bench troubleshooting-doc role-readmes collection galaxy-import docs clean

help:
	@echo "make site          build the stack in the embedded AWS sandbox (sets everything up)"
	@echo "make test          run the whole test suite (sets everything up)"
	@echo "make sandbox-up    start the sandbox on 127.0.0.1:$(NOVA_SANDBOX_PORT); make sandbox-down stops it"
	@echo "make teardown      remove the stack from the sandbox"
	@echo "make bench         measure converge time and API requests (bench/results/)"
	@echo "make troubleshooting-doc  regenerate docs/troubleshooting.md from the error catalogue"
	@echo "make role-readmes  regenerate the Variables section of roles/*/README.md from meta/argument_specs.yml"
	@echo "make collection    build the collection tarball (build/nova-infra-<version>.tar.gz)"
	@echo "make galaxy-import run Galaxy's import check (galaxy-importer, ansible-lint included) on that tarball"
	@echo "make docs          build the HTML documentation: build/docs/build/html/index.html"

venv: $(STAMP)

# The venv is rebuilt when a requirements file changes. nova.infra is linked into the venv's
# ansible_collections so `ansible-playbook site.yml` and `nova.infra.*` resolve without extra flags.
# uv (pinned, installed into the venv by pip) resolves and installs the pinned requirements: the same packages
# and versions as pip, in ~15 s instead of 1-3 min on a fresh machine. It reads PyPI (or UV_INDEX_URL), not pip.conf.
# --compile-bytecode writes every installed module's .pyc once, here: where PYTHONDONTWRITEBYTECODE is set (as on
# this project's machines) Python never writes them, so every process compiled ansible, botocore, moto, jinja2 ...
# from source again at each start (a sixth of a no-op site.yml's CPU; docs/benchmarks.md, Test suite).
UV_VERSION := 0.9.5
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --native-tls --compile-bytecode --python $(BIN)/python pip==25.3 -r requirements-dev.txt -c constraints.txt
	@site=$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	  mkdir -p "$$site/ansible_collections/nova" && ln -sfn "$(CURDIR)" "$$site/ansible_collections/nova/infra"
	@touch $@

sandbox-up: $(STAMP)
	$(BIN)/python sandbox/sandboxctl.py up

sandbox-down:
	@if [ -x $(BIN)/python ]; then $(BIN)/python sandbox/sandboxctl.py down; fi

sandbox-status: $(STAMP)
	$(BIN)/python sandbox/sandboxctl.py status

# site.yml, then the audit: reports/audit-<region>.{md,json} and the stack's diagram reports/stack-<region>.html.
site: sandbox-up
	$(BIN)/ansible-playbook site.yml
	$(BIN)/ansible-playbook validate.yml

teardown: sandbox-up
	$(BIN)/ansible-playbook teardown.yml

# The diagram tests render the stack's HTML page in Debian's chromium (installed with apt: root or sudo).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Tests run the sandbox in strict mode (AWS's dependency refusals and NAT phases), scenarios included.
# The venv and chromium are set up side by side (-j2): on a fresh machine apt's ~30 s hides uv's ~15 s.
test:
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(CHROMIUM)
	NOVA_SANDBOX_STRICT=1 $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/converge.py

# docs/troubleshooting.md from "## Contents" on is generated from the error catalogue (module_utils/troubleshoot.py).
troubleshooting-doc: $(STAMP)
	$(BIN)/python -c "from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import write_reference; \
	print('updated' if write_reference('docs/troubleshooting.md') else 'up to date')"

# The Variables section of every roles/<role>/README.md (tests/unit/test_publishable.py checks it is in sync).
role-readmes: $(STAMP)
	$(BIN)/python docs/role_readme.py

# The tarball Galaxy would receive (galaxy.yml's build_ignore keeps local state out of it).
collection: $(STAMP)
	$(BIN)/ansible-galaxy collection build --force --output-path build .

# Galaxy's import check as `make test` runs it (tests/galaxy-importer.cfg: no container, ansible-test sanity left to
# the quality gates), here with Galaxy's ansible-lint pass as well (~1 min more).
galaxy-import: collection
	cd build && PATH="$(CURDIR)/$(BIN):$$PATH" GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/galaxy-importer.cfg \
	  GALAXY_IMPORTER_RUN_ANSIBLE_LINT=true $(CURDIR)/$(BIN)/python -m galaxy_importer.main nova-infra-*.tar.gz

# The collection's HTML documentation (modules, plugins, roles' argument specs), as amazon.aws publishes its own:
# antsibull-docs writes the RST, Sphinx (ansible theme) the HTML with warnings as errors (-W; --keep-going lists them
# all before failing), in ~1 min. tests/unit/test_publishable.py runs this target (`make docs DOCS=<tmp dir>`).
# DOCS_INTERSPHINX=offline (the default: this machine and CI reach no documentation site) appends
# docs/sphinx_offline.py to antsibull-docs' conf.py: no intersphinx inventory is fetched, and references only those
# inventories resolve (other collections' pages, docs.ansible.com's labels) render as plain text without a warning;
# that file says which and what checks them instead. DOCS_INTERSPHINX=online keeps antsibull-docs' conf.py: Sphinx
# fetches the docs.ansible.com and Python inventories and links those pages (it needs the network).
DOCS := build/docs
DOCS_INTERSPHINX ?= offline
docs: $(STAMP)
	@case "$(DOCS_INTERSPHINX)" in offline|online) ;; \
	  *) echo "DOCS_INTERSPHINX must be offline or online, not '$(DOCS_INTERSPHINX)'" >&2; exit 2;; esac
	rm -rf $(DOCS) && mkdir -p $(DOCS) && chmod 700 $(DOCS)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/antsibull-docs sphinx-init --use-current --squash-hierarchy --dest-dir $(DOCS) nova.infra
	$(if $(filter offline,$(DOCS_INTERSPHINX)),cat docs/sphinx_offline.py >> $(DOCS)/conf.py)
	cd $(DOCS) && mkdir -p rst && chmod og-w rst && PATH="$(CURDIR)/$(BIN):$$PATH" \
	  $(CURDIR)/$(BIN)/antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
	  --squash-hierarchy --dest-dir rst nova.infra && \
	  $(CURDIR)/$(BIN)/sphinx-build -M html rst build -c . -W --keep-going -q
	@echo "HTML documentation: $(DOCS)/build/html/index.html"

clean: sandbox-down
	rm -rf $(VENV) .sandbox .pytest_cache
