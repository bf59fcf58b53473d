#!/usr/bin/python3
"""cluster_eval_score.py TRUTH CLUSTERS.json [--out FILE] [--meta JSON]

Scores `bphound cluster --json` output against gen_population.py's truth:
pairwise precision and recall (over host pairs put in one cluster), the
adjusted Rand index (Hubert and Arabie 1985), B-cubed precision/recall, and
per-category counts of false pairs. Prints a summary; with --out writes
the same figures as JSON.
"""
import argparse
import json
import re
import sys
from collections import Counter


def c2(n):
    return n * (n - 1) // 2


def score(labels, pred):
    """labels: ip -> truth label; pred: ip -> predicted cluster id."""
    hosts = sorted(labels)
    cells = Counter((labels[h], pred[h]) for h in hosts)
    tsz = Counter(labels[h] for h in hosts)
    psz = Counter(pred[h] for h in hosts)
    tp = sum(c2(n) for n in cells.values())
    pp = sum(c2(n) for n in psz.values())
    tt = sum(c2(n) for n in tsz.values())
    n = len(hosts)
    exp = pp * tt / c2(n) if n > 1 else 0
    mx = (pp + tt) / 2
    ari = (tp - exp) / (mx - exp) if mx != exp else 1.0
    b3p = sum(cells[(labels[h], pred[h])] / psz[pred[h]] for h in hosts) / n
    b3r = sum(cells[(labels[h], pred[h])] / tsz[labels[h]] for h in hosts) / n
    return {"hosts": n, "true_pairs": tt, "predicted_pairs": pp,
            "correct_pairs": tp,
            "pairwise_precision": tp / pp if pp else 1.0,
            "pairwise_recall": tp / tt if tt else 1.0,
            "adjusted_rand_index": ari,
            "bcubed_precision": b3p, "bcubed_recall": b3r,
            "true_clusters": len(tsz), "predicted_clusters": len(psz)}


def false_pairs(labels, pred):
    """False pairs by the kinds of truth labels they join."""
    members = {}
    for h, p in pred.items():
        members.setdefault(p, Counter())[labels[h]] += 1
    out = Counter()
    for cnt in members.values():
        labs = list(cnt.items())
        for i, (la, na) in enumerate(labs):
            for lb, nb in labs[i + 1:]:
                ka, kb = sorted((la.split("-")[0], lb.split("-")[0]))
                out["%s+%s" % (ka, kb)] += na * nb
    return dict(out)


def provider_recall(labels, pred):
    """Per provider: size, clusters it is split into, recall of its pairs."""
    out = []
    groups = {}
    for h, lab in labels.items():
        if lab.startswith("prov-"):
            groups.setdefault(lab, []).append(h)
    for lab, hs in groups.items():
        cnt = Counter(pred[h] for h in hs)
        tp = sum(c2(n) for n in cnt.values())
        out.append({"provider": lab, "size": len(hs), "pieces": len(cnt),
                    "recall": tp / c2(len(hs)) if len(hs) > 1 else 1.0})
    out.sort(key=lambda x: -x["size"])
    return out


def links_by_rule(labels, cluster, out):
    """Per rule (strong:*, score>=*, concentrated, neighbour): links, and
    links whose two hosts belong to different operators; cluster's links
    counted into out."""
    for l in cluster.get("links", []):
        rule = l["rule"].split(">=")[0]
        st = out.setdefault(rule, {"links": 0, "wrong": 0})
        st["links"] += 1
        st["wrong"] += labels.get(l["a"]) != labels.get(l["b"])


def iter_clusters(path, chunk=1 << 24):
    """The items of the "clusters" array of `bphound cluster --json` output,
    one at a time: at 10M hosts the file is several GB, which json.load
    would hold as Python objects many times over."""
    dec = json.JSONDecoder()
    with open(path) as f:
        buf = f.read(max(chunk, 1 << 16))  # "clusters" comes second
        m = re.search(r'"clusters"\s*:\s*\[', buf)
        if not m:
            raise ValueError("%s: no clusters array" % path)
        pos, eof = m.end(), False
        while True:
            while True:  # skip to the next item, or the array's end
                while pos < len(buf) and buf[pos] in " \t\r\n,":
                    pos += 1
                if pos < len(buf) or eof:
                    break
                buf, pos = f.read(chunk), 0
                eof = not buf
            if pos >= len(buf) or buf[pos] == "]":
                return
            try:
                item, end = dec.raw_decode(buf, pos)
            except ValueError:
                if eof:
                    raise
                more = f.read(chunk)  # the item runs past the buffer
                eof = not more
                buf, pos = buf[pos:] + more, 0
                continue
            yield item
            pos = end


def main():
    p = argparse.ArgumentParser()
    p.add_argument("truth")
    p.add_argument("clusters")
    p.add_argument("--out")
    p.add_argument("--meta", default="{}")
    a = p.parse_args()
    truth = json.load(open(a.truth))
    labels = truth["labels"]
    pred, rules = {}, {}
    for k in iter_clusters(a.clusters):
        for h in k["hosts"]:
            pred[h] = k["id"]
        links_by_rule(labels, k, rules)
    missing = [h for h in labels if h not in pred]
    extra = [h for h in pred if h not in labels]
    for i, h in enumerate(missing):  # unseen hosts count as singletons
        pred[h] = "missing-%d" % i
    s = score(labels, pred)
    # the best recall without location evidence: hosts generated with
    # nothing observed to link on (defaults, fresh keys) as singletons
    ceil = dict(labels)
    for h in truth.get("unlinkable", []):
        ceil[h] = "unlinkable-" + h
    s["recall_ceiling"] = score(labels, ceil)["pairwise_recall"]
    s["links_by_rule"] = rules
    s["missing_hosts"] = len(missing)
    s["unknown_hosts"] = len(extra)
    s["false_pairs_by_kind"] = false_pairs(labels, pred)
    prov = provider_recall(labels, pred)
    s["providers"] = prov
    print("hosts %d  true pairs %d  predicted pairs %d  correct %d" %
          (s["hosts"], s["true_pairs"], s["predicted_pairs"],
           s["correct_pairs"]))
    print("pairwise precision %.4f  recall %.4f  ARI %.4f  "
          "B3 precision %.4f  recall %.4f" %
          (s["pairwise_precision"], s["pairwise_recall"],
           s["adjusted_rand_index"], s["bcubed_precision"],
           s["bcubed_recall"]))
    print("recall with the generated-unlinkable hosts alone %.4f "
          "(the ceiling without the neighbour rule)" % s["recall_ceiling"])
    print("links by rule (wrong = hosts of different operators): " +
          ", ".join("%s %d/%d" % (r, v["links"], v["wrong"])
                    for r, v in sorted(s["links_by_rule"].items())))
    print("false pairs by kind: %s" % (s["false_pairs_by_kind"] or "none"))
    print("largest providers (size/pieces/recall): " + ", ".join(
        "%d/%d/%.2f" % (x["size"], x["pieces"], x["recall"])
        for x in prov[:8]))
    if missing or extra:
        print("missing hosts %d, hosts not in truth %d" %
              (len(missing), len(extra)))
    if a.out:
        s["meta"] = json.loads(a.meta)
        with open(a.out, "w") as f:
            json.dump(s, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
