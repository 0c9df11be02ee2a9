# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One botocore data loader for every botocore session of a long-lived Python process.

amazon.aws builds a new boto3 session for every client, and each new session parses botocore's endpoint rules and
the service's model again (~100-130 ms for an EC2 client). In a process that runs many modules - the worker of the
nova.infra.fast strategy (Mitogen for Ansible) - ``install()`` registers a botocore session initializer that gives
every new session one shared, caching loader, so each JSON model is parsed once per process. It uses only
botocore's public ``register_initializer`` hook and changes no result: the loader is botocore's own class, over the
same search paths. A session whose data path is configured (AWS_DATA_PATH or ``data_path`` in a profile) keeps a
loader of its own. In a process that runs one module (Ansible's default) installing it gains nothing and costs
nothing.
"""

from __future__ import annotations

_MARK = "_nova_shared_data_loader"


class _PathList(list):
    """Search paths that ignore an append of a path already listed: boto3 appends its own data path on every
    Session, which on a shared loader would grow the list without end."""

    def append(self, path):
        if path not in self:
            super().append(path)


def shared_loader():
    """The process-wide loader, or None when install() has not run."""
    import botocore.session

    return getattr(botocore.session, _MARK, None)


def install():
    """Register the initializer once per process; returns True when this call registered it."""
    import botocore
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session, _MARK, None) is not None:
        return False
    loader = botocore.loaders.Loader(extra_search_paths=_PathList())

    def _share_data_loader(session):
        if session.get_config_variable("data_path"):
            return
        session.register_component("data_loader", loader)

    botocore.register_initializer(_share_data_loader)
    setattr(botocore.session, _MARK, loader)
    return True
