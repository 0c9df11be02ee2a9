"""What the sandbox does with each request before moto sees it: names the call (service, action, region) for the
request log and the per-action counts, answers with AWS-shaped faults (throttling, 5xx, region outages) and
latency, and holds the run-time settings (``Settings``, changed through ``POST /_nova/config``)."""

from __future__ import annotations

import functools
import io
import json
import random
import re
import uuid
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qs

FAULT_KINDS = ("throttle", "5xx")


# --------------------------------------------------------------------------
# Request identification: service, action, region
# --------------------------------------------------------------------------

# S3 bucket sub-resources (query keys) -> API operation name per HTTP method.
S3_BUCKET_SUBRESOURCES: dict[str, dict[str, str]] = {
    "accelerate": {"GET": "GetBucketAccelerateConfiguration", "PUT": "PutBucketAccelerateConfiguration"},
    "acl": {"GET": "GetBucketAcl", "PUT": "PutBucketAcl"},
    "cors": {"GET": "GetBucketCors", "PUT": "PutBucketCors", "DELETE": "DeleteBucketCors"},
    "delete": {"POST": "DeleteObjects"},
    "encryption": {"GET": "GetBucketEncryption", "PUT": "PutBucketEncryption", "DELETE": "DeleteBucketEncryption"},
    "lifecycle": {
        "GET": "GetBucketLifecycleConfiguration",
        "PUT": "PutBucketLifecycleConfiguration",
        "DELETE": "DeleteBucketLifecycle",
    },
    "location": {"GET": "GetBucketLocation"},
    "logging": {"GET": "GetBucketLogging", "PUT": "PutBucketLogging"},
    "notification": {"GET": "GetBucketNotificationConfiguration", "PUT": "PutBucketNotificationConfiguration"},
    "object-lock": {"GET": "GetObjectLockConfiguration", "PUT": "PutObjectLockConfiguration"},
    "ownershipControls": {
        "GET": "GetBucketOwnershipControls",
        "PUT": "PutBucketOwnershipControls",
        "DELETE": "DeleteBucketOwnershipControls",
    },
    "policy": {"GET": "GetBucketPolicy", "PUT": "PutBucketPolicy", "DELETE": "DeleteBucketPolicy"},
    "policyStatus": {"GET": "GetBucketPolicyStatus"},
    "publicAccessBlock": {
        "GET": "GetPublicAccessBlock",
        "PUT": "PutPublicAccessBlock",
        "DELETE": "DeletePublicAccessBlock",
    },
    "replication": {"GET": "GetBucketReplication", "PUT": "PutBucketReplication", "DELETE": "DeleteBucketReplication"},
    "requestPayment": {"GET": "GetBucketRequestPayment", "PUT": "PutBucketRequestPayment"},
    "tagging": {"GET": "GetBucketTagging", "PUT": "PutBucketTagging", "DELETE": "DeleteBucketTagging"},
    "uploads": {"GET": "ListMultipartUploads"},
    "versioning": {"GET": "GetBucketVersioning", "PUT": "PutBucketVersioning"},
    "versions": {"GET": "ListObjectVersions"},
    "website": {"GET": "GetBucketWebsite", "PUT": "PutBucketWebsite", "DELETE": "DeleteBucketWebsite"},
}
S3_BUCKET_METHODS = {"GET": "ListObjects", "PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}

# S3 object sub-resources (query keys) -> API operation name per HTTP method.
S3_OBJECT_SUBRESOURCES: dict[str, dict[str, str]] = {
    "acl": {"GET": "GetObjectAcl", "PUT": "PutObjectAcl"},
    "attributes": {"GET": "GetObjectAttributes"},
    "legal-hold": {"GET": "GetObjectLegalHold", "PUT": "PutObjectLegalHold"},
    "restore": {"POST": "RestoreObject"},
    "retention": {"GET": "GetObjectRetention", "PUT": "PutObjectRetention"},
    "tagging": {"GET": "GetObjectTagging", "PUT": "PutObjectTagging", "DELETE": "DeleteObjectTagging"},
    "uploads": {"POST": "CreateMultipartUpload"},
    "uploadId": {"GET": "ListParts", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"},
}
S3_OBJECT_METHODS = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}


@dataclass(frozen=True)
class AwsCall:
    """What one AWS request is, as IAM and the request log name it."""

    service: str
    action: str
    region: str
    protocol: str  # "ec2", "query", "json", "rest-json" or "s3": selects the error shape


def _credential_scope(environ: dict[str, Any], query: dict[str, list[str]]) -> tuple[str, str]:
    """(service, region) from the SigV4 credential scope (header, or query for presigned URLs)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = auth.partition("Credential=")[2].split(",")[0] or query.get("X-Amz-Credential", [""])[0]
    parts = credential.strip().split("/")
    if len(parts) == 5:
        return parts[3].lower(), parts[2]
    return "unknown", "unknown"


def _s3_bucket_and_key(environ: dict[str, Any]) -> tuple[str, str]:
    """Split an S3 request into (bucket, key) for path-style and virtual-hosted addressing."""
    path = environ.get("PATH_INFO", "")
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
    first_label, dot, rest = host.partition(".")
    virtual_hosted = dot and (rest == "localhost" or rest.startswith("s3.") or rest.startswith("s3-"))
    if virtual_hosted:
        return first_label, path.lstrip("/")
    bucket, _unused, key = path.lstrip("/").partition("/")
    return bucket, key


def s3_action(method: str, environ: dict[str, Any], query: dict[str, list[str]]) -> str:
    """Name an S3 REST request after its API operation (method + path + query + copy header)."""
    bucket, key = _s3_bucket_and_key(environ)
    copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
    if not bucket:
        return "ListBuckets"
    if not key:
        for subresource, by_method in S3_BUCKET_SUBRESOURCES.items():
            if subresource in query and method in by_method:
                return by_method[method]
        if method == "GET" and query.get("list-type") == ["2"]:
            return "ListObjectsV2"
        return S3_BUCKET_METHODS.get(method, f"{method}Bucket")
    if method == "PUT" and "partNumber" in query and "uploadId" in query:
        return "UploadPartCopy" if copy else "UploadPart"
    for subresource, by_method in S3_OBJECT_SUBRESOURCES.items():
        if subresource in query and method in by_method:
            return by_method[method]
    if method == "PUT" and copy:
        return "CopyObject"
    return S3_OBJECT_METHODS.get(method, f"{method}Object")


def s3control_action(method: str, path: str) -> str:
    """Name an S3 Control request: ``/v20180820/configuration/publicAccessBlock`` + GET -> GetPublicAccessBlock."""
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Create"}.get(method, method)
    resource = path.rstrip("/").rsplit("/", 1)[-1]
    return verb + resource[:1].upper() + resource[1:]


def _form_body(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Parse a form-encoded body (query protocols) and put it back for moto to read."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def identify(environ: dict[str, Any]) -> AwsCall:
    """Determine service, IAM/API action and region of an AWS request."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    service, region = _credential_scope(environ, query)
    if service == "s3":
        if path.startswith("/v20180820/"):
            return AwsCall("s3control", s3control_action(method, path), region, "s3")
        return AwsCall("s3", s3_action(method, environ, query), region, "s3")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return AwsCall(service, target.rpartition(".")[2], region, "json")
    action = query.get("Action") or _form_body(environ).get("Action")
    if action:
        return AwsCall(service, action[0], region, "ec2" if service == "ec2" else "query")
    # REST-JSON services (lambda, fis, ...): no operation name on the wire; the service model's routes name it.
    return AwsCall(service, rest_json_action(service, method, path) or f"{method} {path}", region, "rest-json")


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern, operation) of every operation of a REST service, from botocore's service model."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # noqa: BLE001 - an unknown service name: no routes
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        segments = http.get("requestUri", "/").split("?")[0].rstrip("/").split("/")
        # A label matches one segment; the last one also an ARN with slashes (/tags/{resourceArn}).
        parts = [("[^/]+" if i < len(segments) - 1 else ".+") if seg.startswith("{") else re.escape(seg)
                 for i, seg in enumerate(segments)]
        routes.append((http.get("method", "POST").upper(), re.compile(f"^{'/'.join(parts)}/?$"), name))
    # Literal paths before templated ones: /experiments/{id} must not take /experimentTemplates.
    return sorted(routes, key=lambda route: route[1].pattern.count("[^/]+") + route[1].pattern.count(".+"))


def rest_json_action(service: str, method: str, path: str) -> str | None:
    for route_method, pattern, name in _rest_routes(service):
        if route_method == method and pattern.match(path):
            return name
    return None


# --------------------------------------------------------------------------
# Fault responses (AWS-shaped, retryable by botocore)
# --------------------------------------------------------------------------

THROTTLE = {
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "query": (400, "Throttling", "Rate exceeded"),
    "json": (400, "ThrottlingException", "Rate exceeded"),
    "rest-json": (400, "ThrottlingException", "Rate exceeded"),
    "s3": (503, "SlowDown", "Please reduce your request rate."),
}
SERVER_ERRORS = (
    (500, "InternalError", "We encountered an internal error. Please try again."),
    (503, "ServiceUnavailable", "Service is unavailable. Please try again."),
)
REASONS = {400: "Bad Request", 412: "Precondition Failed", 500: "Internal Server Error", 503: "Service Unavailable"}


def is_ec2_dry_run(environ: dict[str, Any]) -> bool:
    """An EC2 request with DryRun=true (query string or form body)."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    values = query.get("DryRun") or _form_body(environ).get("DryRun") or []
    return any(value.lower() == "true" for value in values)


def error_response(protocol: str, status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Build (status line, headers, body) of an AWS error in the shape the protocol's parser expects."""
    request_id = str(uuid.uuid4())
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        content_type = "text/xml"
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>{'Sender' if status < 500 else 'Receiver'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        content_type = "text/xml"
    elif protocol == "s3":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        content_type = "application/xml"
    else:
        body = json.dumps({"__type": code, "message": message})
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body.encode()))),
        ("x-amzn-RequestId", request_id),
        ("x-amz-request-id", request_id),
    ]
    if protocol == "rest-json":
        headers.append(("x-amzn-ErrorType", code))
    return f"{status} {REASONS[status]}", headers, body.encode()


# --------------------------------------------------------------------------
# Settings and accounting
# --------------------------------------------------------------------------


@dataclass
class Settings:
    """Run-time fault/latency settings; the seeded RNG makes a fault sequence reproducible."""

    latency_ms: int = 0
    fault_rate: float = 0.0
    fault_kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    seed: int | None = None
    # Regions in outage: every request scoped to them is answered 503 ServiceUnavailable (DR drills).
    down_regions: list[str] = field(default_factory=list)
    # Strict mode (see install_strict_mode): AWS's refusals for resources in use, NAT gateway phases.
    strict: bool = False
    nat_pending_seconds: float = 2.0
    nat_deleting_seconds: float = 2.0
    # Faults only on an SDK's first N attempts of a call (its amz-sdk-request header); 0: on every attempt. With
    # 10 attempts a call fails of faults alone when all of them are faulted (0.3^10 at a 30 % rate): rare per call,
    # yet a test run makes thousands of calls.
    fault_max_attempt: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        settings = cls()
        settings.update(
            {
                "latency_ms": env.get("NOVA_SANDBOX_LATENCY_MS", "0"),
                "fault_rate": env.get("NOVA_SANDBOX_FAULT_RATE", "0"),
                "fault_kinds": env.get("NOVA_SANDBOX_FAULT_KINDS", ",".join(FAULT_KINDS)),
                "seed": env.get("NOVA_SANDBOX_SEED") or None,
                "down_regions": env.get("NOVA_SANDBOX_DOWN_REGIONS", ""),
                "strict": env.get("NOVA_SANDBOX_STRICT", "0"),
                "nat_pending_seconds": env.get("NOVA_SANDBOX_NAT_PENDING_SECONDS", "2"),
                "nat_deleting_seconds": env.get("NOVA_SANDBOX_NAT_DELETING_SECONDS", "2"),
                "fault_max_attempt": env.get("NOVA_SANDBOX_FAULT_MAX_ATTEMPT", "0"),
            }
        )
        return settings

    def update(self, changes: dict[str, Any]) -> None:
        """Validate and apply changes; raises ValueError without applying anything on bad input."""
        unknown = set(changes) - {"latency_ms", "fault_rate", "fault_kinds", "seed", "down_regions", "strict",
                                  "nat_pending_seconds", "nat_deleting_seconds", "fault_max_attempt"}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        latency = int(changes.get("latency_ms", self.latency_ms))
        rate = float(changes.get("fault_rate", self.fault_rate))
        kinds = changes.get("fault_kinds", self.fault_kinds)
        if isinstance(kinds, str):
            kinds = [k.strip() for k in kinds.split(",") if k.strip()]
        seed = changes.get("seed")
        seed = None if seed is None else int(seed)
        down = changes.get("down_regions", self.down_regions)
        if isinstance(down, str):
            down = [r.strip() for r in down.split(",") if r.strip()]
        strict = changes.get("strict", self.strict)
        if isinstance(strict, str):
            if strict.strip().lower() not in ("0", "1", "true", "false", ""):
                raise ValueError("strict must be true/false (or 1/0)")
            strict = strict.strip().lower() in ("1", "true")
        elif isinstance(strict, int) and strict in (0, 1):
            strict = bool(strict)
        if not isinstance(strict, bool):
            raise ValueError("strict must be true/false (or 1/0)")
        pending = float(changes.get("nat_pending_seconds", self.nat_pending_seconds))
        deleting = float(changes.get("nat_deleting_seconds", self.nat_deleting_seconds))
        if pending < 0 or deleting < 0:
            raise ValueError("nat_pending_seconds and nat_deleting_seconds must be >= 0")
        max_attempt = int(changes.get("fault_max_attempt", self.fault_max_attempt))
        if max_attempt < 0:
            raise ValueError("fault_max_attempt must be >= 0 (0: faults on every attempt)")
        if latency < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if not kinds or any(k not in FAULT_KINDS for k in kinds):
            raise ValueError(f"fault_kinds must be a non-empty subset of {', '.join(FAULT_KINDS)}")
        self.latency_ms, self.fault_rate, self.fault_kinds = latency, rate, list(kinds)
        self.down_regions = list(down)
        self.strict, self.nat_pending_seconds, self.nat_deleting_seconds = strict, pending, deleting
        self.fault_max_attempt = max_attempt
        if "seed" in changes:
            self.seed = seed
            self.rng.seed(seed)

    def public(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "fault_rate": self.fault_rate,
            "fault_kinds": self.fault_kinds,
            "seed": self.seed,
            "down_regions": self.down_regions,
            "strict": self.strict,
            "nat_pending_seconds": self.nat_pending_seconds,
            "nat_deleting_seconds": self.nat_deleting_seconds,
            "fault_max_attempt": self.fault_max_attempt,
        }

    def draw_fault(self, protocol: str, attempt: int = 1) -> tuple[str, int, str, str] | None:
        """Decide whether to fail this request: (kind, status, code, message) or None.

        ``attempt``: which attempt of its call this request is (sdk_attempt). Always consumes the same number of
        random draws per request, so the fault sequence for a seed does not depend on which kinds are enabled.
        """
        roll, kind_roll, error_roll = self.rng.random(), self.rng.random(), self.rng.random()
        if roll >= self.fault_rate or (self.fault_max_attempt and attempt > self.fault_max_attempt):
            return None
        kind = self.fault_kinds[int(kind_roll * len(self.fault_kinds))]
        if kind == "throttle":
            return (kind, *THROTTLE[protocol])
        return (kind, *SERVER_ERRORS[int(error_roll * len(SERVER_ERRORS))])


def sdk_attempt(environ: dict[str, Any]) -> int:
    """Which attempt of its call a request is, from the AWS SDKs' ``amz-sdk-request: attempt=N; max=M`` header
    (botocore, the AWS CLI); 1 when the client sends none."""
    for part in str(environ.get("HTTP_AMZ_SDK_REQUEST", "")).split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            return int(value)
    return 1
