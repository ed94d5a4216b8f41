#!/usr/bin/env python3
"""An auditor's recomputation of Pingshen's expert draws, independent of Pingshen's code.

    pingshen draw verify PANEL --json > draws.json
    python3 scripts/draw_check.py draws.json        # or: ... | python3 scripts/draw_check.py -

For each draw it recomputes, from the snapshot of eligible candidates and the seed alone
(docs/statistics.md §8):
  * the candidates digest: SHA-256 of one line per candidate in id order, "id TAB name TAB organization TAB kind LF";
  * the seeded order: Fisher–Yates driven by SHA-256 in counter mode keyed by the seed;
  * the drawn experts (quotas per kind, one per organization), the reserve and every replacement (补抽),
and compares them with what Pingshen recorded. Prints one line per draw; exit status 1 on any difference.
"""
import hashlib
import json
import sys


class Generator:
    """Block i = SHA-256(b"pingshen-draw-v1" 0x00 seed 0x00 i as 8 bytes big-endian); 4 words of 8 bytes big-endian."""

    def __init__(self, seed):
        self.seed = seed.encode("utf-8")
        self.counter = 0
        self.words = []

    def next64(self):
        if not self.words:
            block = hashlib.sha256(b"pingshen-draw-v1\x00" + self.seed + b"\x00" + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
            self.words = [int.from_bytes(block[i:i + 8], "big") for i in range(0, 32, 8)]
        return self.words.pop(0)

    def uniform(self, n):
        """Uniform in [0, n): reject words below 2^64 mod n, then take the word mod n."""
        threshold = (1 << 64) % n
        while True:
            w = self.next64()
            if w >= threshold:
                return w % n


def seeded_order(n, gen):
    a = list(range(n))
    for i in range(n - 1, 0, -1):
        j = gen.uniform(i + 1)
        a[i], a[j] = a[j], a[i]
    return a


def parse_rules(text):
    d = dict(part.split("=", 1) for part in text.split(";"))
    kinds = []
    if d["kinds"]:
        for q in d["kinds"].split(","):
            k, n = q.rsplit(":", 1)
            kinds.append((k, int(n)))
    return {"count": int(d["count"]), "kinds": kinds, "reserve": int(d["reserve"]), "one_per_org": d["one_per_org"] == "1"}


def select(cands, order, rules):
    quota = dict(rules["kinds"])
    orgs, drawn, taken = set(), [], set()
    for i in order:
        if len(drawn) == rules["count"]:
            break
        c = cands[i]
        if quota and quota.get(c["kind"], 0) <= 0:
            continue
        if rules["one_per_org"] and c["organization"] in orgs:
            continue
        if quota:
            quota[c["kind"]] -= 1
        orgs.add(c["organization"])
        drawn.append(c["id"])
        taken.add(i)
    reserve = []
    kinds = set(quota)
    for i in order:
        if len(reserve) == rules["reserve"]:
            break
        if i in taken:
            continue
        c = cands[i]
        if kinds and c["kind"] not in kinds:
            continue
        if rules["one_per_org"] and c["organization"] in orgs:
            continue
        orgs.add(c["organization"])
        reserve.append(c["id"])
    return drawn, reserve


def replacement(cands, order, rules, replaced, used, current):
    by_id = {c["id"]: c for c in cands}
    kind = by_id.get(replaced, {}).get("kind")
    orgs = {by_id[x]["organization"] for x in current if x != replaced and x in by_id}
    for i in order:
        c = cands[i]
        if c["id"] in used:
            continue
        if rules["kinds"] and c["kind"] != kind:
            continue
        if rules["one_per_org"] and c["organization"] in orgs:
            continue
        return c["id"]
    return None


def check(draw):
    problems = []
    cands = draw["candidates"]
    if [c["id"] for c in cands] != sorted((c["id"] for c in cands), key=lambda s: s.encode("utf-8")):
        problems.append("the snapshot is not in id order")
    text = "".join(f'{c["id"]}\t{c["name"]}\t{c["organization"]}\t{c["kind"]}\n' for c in cands)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != draw["candidates_digest"]:
        problems.append(f"candidates digest {digest} != recorded {draw['candidates_digest']}")
    rules = parse_rules(draw["rules"])
    order = seeded_order(len(cands), Generator(draw["seed"]))
    drawn, reserve = select(cands, order, rules)
    if drawn != draw["drawn"]:
        problems.append(f"drawn {','.join(drawn)} != recorded {','.join(draw['drawn'])}")
    if reserve != draw["reserve"]:
        problems.append(f"reserve {','.join(reserve)} != recorded {','.join(draw['reserve'])}")
    current, used = list(drawn), set(drawn)
    for r in draw.get("replacements", []):
        nxt = replacement(cands, order, rules, r["replaced"], used, current)
        if r["replaced"] in current:
            current.remove(r["replaced"])
        if nxt is not None:
            used.add(nxt)
            current.append(nxt)
        if nxt != r.get("replacement"):
            problems.append(f"replacement of {r['replaced']}: {nxt} != recorded {r.get('replacement')}")
    return digest, drawn, current, problems


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "-"
    data = json.load(sys.stdin if src == "-" else open(src, encoding="utf-8"))
    bad = 0
    for d in data["draws"]:
        digest, drawn, current, problems = check(d)
        if problems:
            bad += 1
            print(f"draw {d['seq']}: DIFFERS: " + "; ".join(problems))
        else:
            print(f"draw {d['seq']}: OK seed={d['seed']} digest={digest} drawn={','.join(drawn)} current={','.join(current)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
