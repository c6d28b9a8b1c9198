"""Runs scim2-tester (PyPI) against a running Zhengtong server and fails on any error.

Usage: python3 scim-tests/check.py BASE_URL ADMIN_USERNAME ADMIN_PASSWORD
Signs in as the administrator, issues a provisioning token over the first unit of the demo county,
and checks /scim/v2 with it. Prints every check; exits 1 if any is ERROR or CRITICAL.
"""
import json
import sys
import urllib.request

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, username, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


admin = call("POST", "/api/v1/auth/login", {"username": username, "password": password})["token"]
units = call("GET", "/api/v1/regions/330110000000/orgs?limit=1", token=admin)["items"]
token = call("POST", "/api/v1/admin/provisioning-tokens", {"name": "scim2-tester", "org_id": units[0]["id"]}, token=admin)["token"]
print(f"scim-tests: provisioning token over {units[0]['name']}", flush=True)

client = SyncSCIMClient(Client(base_url=base + "/scim/v2", headers={"Authorization": "Bearer " + token}, timeout=30))
results = check_server(client)
bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
counts = {}
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
    mark = "FAIL" if r in bad else r.status.name
    print(f"[{mark}] {r.resource_type or ''} {r.title}: {r.reason}")
print(f"scim-tests: {len(results)} checks: " + ", ".join(f"{n} {k.lower()}" for k, n in sorted(counts.items())))
sys.exit(1 if bad else 0)
