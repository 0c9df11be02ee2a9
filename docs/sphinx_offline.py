"""Sphinx settings of `make docs` with DOCS_INTERSPHINX=offline (the default), appended to the conf.py that
`antsibull-docs sphinx-init` writes, so they override its own.

antsibull-docs' conf.py names four intersphinx inventories (docs.python.org 2 and 3, jinja.palletsprojects.com,
docs.ansible.com's devel docs). Offline - this machine and CI reach the package registries and nothing else -
each fetch fails with a warning, and every reference that only those inventories resolve is then a missing
reference, another warning. That one category, and nothing else, is handled here:

- no inventory is named, so none is fetched and no fetch warning arises (nothing is suppressed);
- a missing reference is not reported when its target is one that only docs.ansible.com's inventory defines, and
  it renders as plain text instead of a link:
  - a page, option or return value of another collection (``ansible_collections.amazon.aws.*``,
    ``ansible_collections.ansible.builtin.*``): `antsibull-docs lint-collection-docs --plugin-docs
    --disallow-unknown-collection-refs`, which `make test` runs, checks each of these against the installed
    collection it names (tests/unit/test_publishable.py);
  - a label of Ansible's own documentation that antsibull-docs' page templates link to (``common_return_values``
    under every module's return values, ``callback_plugins``, ...), listed below from antsibull-docs 2.28's templates;
  - an ansible-core configuration environment variable (``ANSIBLE_STRATEGY``), as ansible-core's
    config/base.yml declares them.

Any other missing reference - to a page, option, return value or label of this collection, an undefined
substitution, bad markup - is still a warning, and `make docs` (sphinx-build -W) fails on it.
`make docs DOCS_INTERSPHINX=online` uses antsibull-docs' conf.py as written: Sphinx fetches the inventories and
checks those references too (it needs the network).
"""

from pathlib import Path

import yaml

import ansible

intersphinx_mapping = {}

# The labels of docs.ansible.com that antsibull-docs 2.28's templates (data/docsite/ansible-docsite/*.rst.j2) link to.
_ANSIBLE_DOCS_LABELS = (
    "action_plugins",
    "ansible_configuration_settings",
    "callback_plugins",
    "collections_keyword",
    "common_return_values",
    "list_of_callback_plugins",
    "list_of_collections",
)
_core_config = yaml.safe_load((Path(ansible.__file__).parent / "config" / "base.yml").read_text(encoding="utf-8"))

nitpick_ignore_regex = [
    # Another collection's page or one of its anchors (`ansible_collections.<ns>.<name>.<plugin>_<type>[__...]`).
    ("std:ref", r"ansible_collections\.(?!nova\.infra\.)[a-z0-9_]+\.[a-z0-9_]+\..+"),
]
nitpick_ignore = [("std:ref", label) for label in _ANSIBLE_DOCS_LABELS] + [
    ("std:envvar", env["name"]) for setting in _core_config.values() for env in setting.get("env") or ()
]

del _core_config
