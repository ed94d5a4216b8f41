#!/usr/bin/env python3
"""Recompute a Pingshen audit chain from its JSON export, with nothing but Python's standard library.

    pingshen audit P1 --json > audit.json
    python3 scripts/audit_chain.py audit.json [--head HASH]

Each row is hashed in the canonical form it was written with (docs/audit.md):
  canon 2 (shared by the local store and the server) and canon 1 (local rows written before change ids):
    content = TAB-joined escaped fields  position, panel, at, actor, entity, field, old, new, reason[, change_id]
    (a missing value is \\N; backslash, TAB, CR and LF inside a field are written \\\\, \\t, \\r, \\n)
    hash    = sha256_hex(prev_hash + "\\n" + content)
  canon 0 (the server's rows before the shared form):
    content = U+001F-joined id, at, actor, panel, action, target, old, new, reason, change_id (U+0000 for missing)
    hash    = sha256_hex(prev_hash + content)
The first row's prev_hash is 64 zeros. Prints the rows checked and the last hash; exits 1 at the first row that
does not verify (naming it), 0 when the whole chain holds.
"""
import hashlib
import json
import sys

GENESIS = "0" * 64


def field(v):
    if v is None:
        return "\\N"
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def content(row):
    canon = row.get("canon", 1)
    position = row.get("pseq", row.get("id"))
    if canon == 0:
        fields = [str(position), row.get("at"), row.get("actor"), row.get("panel"), row.get("field"),
                  row.get("entity"), row.get("old"), row.get("new"), row.get("reason"), row.get("change_id")]
        return "\x1f".join("\x00" if f is None else f for f in fields)
    fields = [row.get("panel"), row.get("at"), row.get("actor"), row.get("entity"), row.get("field"),
              row.get("old"), row.get("new"), row.get("reason")]
    if canon == 2:
        fields.append(row.get("change_id"))
    return str(position) + "".join("\t" + field(f) for f in fields)


def row_hash(prev, row):
    text = prev + content(row) if row.get("canon", 1) == 0 else prev + "\n" + content(row)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify(rows, head=None):
    prev = GENESIS
    for n, row in enumerate(rows, start=1):
        position = row.get("pseq", row.get("id"))
        if position != n:
            return False, n, prev, f"row {n}: found position {position}"
        if row.get("prev_hash") != prev:
            return False, n, prev, f"row {n}: does not link to the previous row"
        h = row_hash(prev, row)
        if h != row.get("hash"):
            return False, n, prev, f"row {n}: content does not match its hash"
        prev = h
    if head is not None and prev != head:
        return False, len(rows) + 1, prev, "the chain does not end at the recorded head"
    return True, None, prev, "intact"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        rows = json.load(f)
    head = argv[argv.index("--head") + 1] if "--head" in argv else None
    ok, first_bad, last, why = verify(rows, head)
    print(json.dumps({"ok": ok, "rows": len(rows) if ok else (first_bad - 1), "first_bad": first_bad,
                      "last_hash": last, "why": why}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
