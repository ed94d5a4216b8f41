#!/usr/bin/env python3
"""A first sync of many sheet lines against a running panel server: push N score writes in batches of
5000 (the protocol's limit), then pull them all back with the cursor. Prints the times.
Usage: server-sync-load.py URL TOKEN PANEL REVIEWER LEAVES APPLICANTS [N]   (LEAVES/APPLICANTS comma-separated)
"""
import json
import sys
import time
import urllib.request
import uuid

url, token, panel, reviewer, leaves, applicants = sys.argv[1:7]
n = int(sys.argv[7]) if len(sys.argv) > 7 else 100_000
leaves = leaves.split(",")
applicants = applicants.split(",")
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


changes = []
for i in range(n):
    changes.append({"change_id": str(uuid.uuid4()), "device": "first-sync", "kind": "set_points",
                    "reviewer": reviewer, "applicant": applicants[(i // len(leaves)) % len(applicants)],
                    "round": "初评", "leaf": leaves[i % len(leaves)], "value": (i % 3) * 0.5,
                    "client_time": "2025-01-01T00:00:00.000Z"})
start = time.time()
applied = 0
for k in range(0, n, 5000):
    r = call("POST", f"/v1/panels/{panel}/changes", {"changes": changes[k:k + 5000]})
    applied += sum(1 for x in r["results"] if x["status"] == "applied")
push_s = time.time() - start
start = time.time()
cursor, pulled = 0, 0
while True:
    page = call("GET", f"/v1/panels/{panel}/changes?since={cursor}&limit=5000")
    pulled += len(page["changes"])
    cursor = page["next_cursor"]
    if not page["has_more"]:
        break
pull_s = time.time() - start
print(f"first sync: pushed {applied}/{n} lines in {push_s:.2f} s ({applied / push_s:.0f}/s), "
      f"pulled {pulled} changes in {pull_s:.2f} s; total {push_s + pull_s:.2f} s")
