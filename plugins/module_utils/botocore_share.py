# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One botocore data loader for every botocore session of a long-lived Python process, and (install_client_cache,
below) one AWS client per connection setting.

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

import contextlib
import datetime

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


# --- One AWS client per connection setting, per worker ------------------------------------------------------------
#
# amazon.aws builds a new boto3 session and client for every module run (module.client() -> boto3_conn ->
# _boto3_conn): in the worker that is ~20-60 ms of CPU each time (the session registers botocore's ~200 event
# handlers, the client class gets a method per API operation), about half of the worker's CPU in a no-op site.yml.
# install_client_cache() keeps the clients of one worker and hands the same client back when every setting that
# shapes it is the same: service, region, endpoint, credentials and profile, botocore config, user agent, and the
# AWS_* environment and shared config/credentials files it would read. This is what a long-lived boto3 program does
# (clients are thread-safe; their retry quota and connection pool then serve the whole run). Anything it cannot key
# exactly (a resource, an unknown parameter type, a Placebo recording) is built as before.

_CLIENT_CACHE_MARK = "_nova_client_cache"
_ENV_PREFIXES = ("AWS_", "BOTO_")
# amazon.aws's Placebo hooks (its own tests) record or replay each module run's session: never shared.
_PLACEBO_PREFIX = "_ANSIBLE_PLACEBO"


def _settings_key(value):
    """A hashable, exact rendering of a connection setting, or raise TypeError for one that cannot be keyed."""
    import botocore.config

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(name), _settings_key(item)) for name, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_settings_key(item) for item in value)
    if isinstance(value, botocore.config.Config):
        # The options the caller set; Config fills the rest with the same defaults every time. A botocore that no
        # longer keeps them there cannot be keyed exactly: no sharing then.
        options = getattr(value, "_user_provided_options", None)
        if not isinstance(options, dict):
            raise TypeError("a botocore Config without _user_provided_options")
        return ("Config", _settings_key(options))
    raise TypeError(f"cannot key a {type(value).__name__}")


def _files_key(environ):
    """The shared config and credentials files a session would read: path and change time (a rewrite mid-run)."""
    import os

    paths = (
        environ.get("AWS_CONFIG_FILE", "~/.aws/config"),
        environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )
    stamps = []
    for path in paths:
        full = os.path.expanduser(path)
        try:
            stat = os.stat(full)
            stamps.append((full, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((full, None, None))
    return tuple(stamps)


def client_key(resource, region, endpoint, params, user_agent, environ):
    """The cache key of one amazon.aws client request, or None when it must not be cached."""
    if any(name.startswith(_PLACEBO_PREFIX) for name in environ):
        return None
    try:
        return (
            resource,
            region,
            endpoint,
            user_agent,
            _settings_key(params),
            tuple(sorted((name, value) for name, value in environ.items() if name.startswith(_ENV_PREFIXES))),
            _files_key(environ),
        )
    except TypeError:
        return None


def install_client_cache():
    """Wrap amazon.aws's _boto3_conn so equal client requests of this process get one client; True when installed
    by this call, False when already installed or when amazon.aws is not importable here."""
    import copy
    import os
    import threading

    try:
        from ansible_collections.amazon.aws.plugins.module_utils import botocore as aws_botocore
    except ImportError:
        return False
    original = aws_botocore._boto3_conn
    if getattr(original, _CLIENT_CACHE_MARK, False):
        return False
    clients = {}
    lock = threading.Lock()

    def _boto3_conn(conn_type, resource=None, region=None, endpoint=None, **params):
        key = None
        if conn_type == "client":
            key = client_key(resource, region, endpoint, params, aws_botocore._get_user_agent_string(), os.environ)
        if key is None:
            return original(conn_type=conn_type, resource=resource, region=region, endpoint=endpoint, **params)
        with lock:
            client = clients.get(key)
            if client is None:
                # botocore rewrites a retries dict it is given (max_attempts -> total_max_attempts): build from a
                # copy, so the caller's settings keep the value the key was made of.
                client = original(
                    conn_type=conn_type, resource=resource, region=region, endpoint=endpoint, **copy.deepcopy(params)
                )
                clients[key] = client
        return client

    setattr(_boto3_conn, _CLIENT_CACHE_MARK, True)
    _boto3_conn.clients = clients
    aws_botocore._boto3_conn = _boto3_conn
    return True


def install_worker(client_cache=True):
    """What the nova.infra.fast strategy installs in each Mitogen worker: the shared data loader, and the client
    cache unless client_cache is false (the controller's NOVA_CLIENT_CACHE=0)."""
    install()
    if client_cache:
        install_client_cache()


# --- Timestamps of long listings -----------------------------------------------------------------------------------
#
# botocore parses every timestamp of a response with dateutil (~33 us each on this project's machines): a
# ListObjectsV2 page holds 1,000 LastModified, so listing a bucket of a million objects spends ~30 s of CPU there
# alone. AWS answers them in ISO 8601 UTC ("2026-12-04T21:38:37.000Z"), which datetime.fromisoformat reads in ~1 us.

_ISO_UTC_LENGTHS = (20, 24, 27)  # ...:SSZ, ...:SS.fffZ, ...:SS.ffffffZ


def parse_timestamp(value):
    """botocore's response timestamp parser, reading the ISO 8601 UTC form AWS answers in with the standard library:
    the same instant, as a datetime in UTC (dateutil's tzutc; botocore's gives tzlocal() where the machine's zone is
    UTC). Any other form (epoch seconds, RFC 822 headers, an offset) is botocore's own parse."""
    import botocore.utils

    if isinstance(value, str) and len(value) in _ISO_UTC_LENGTHS and value[-1] == "Z" and value[10] == "T":
        from dateutil.tz import tzutc  # botocore's own dependency, as botocore

        try:
            return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=tzutc())
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)


@contextlib.contextmanager
def fast_timestamps():
    """The botocore sessions created inside the block (and so their clients) parse response timestamps with
    parse_timestamp (above), through botocore's public session initializer and parser defaults."""
    import botocore

    def _parse_timestamps_fast(session):
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)

    botocore.register_initializer(_parse_timestamps_fast)
    try:
        yield
    finally:
        botocore.unregister_initializer(_parse_timestamps_fast)
