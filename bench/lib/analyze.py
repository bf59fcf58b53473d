#!/usr/bin/python3
"""Helpers for bench/syn_rate.sh (parsing and reporting only; no traffic).

    analyze.py counter SAMPLES            -> JSON: packets and rate from a
                                             sample_counter.py file
    analyze.py toolpps TOOL LOG [SENT]    -> JSON: the tool's own rate claim
    analyze.py found TOOL OUTFILE PORT    -> one "ip:port" per line
    analyze.py run TOOL RUN DIR           -> JSON line for one run (uses the
                                             files syn_rate.sh left in DIR)
    analyze.py report RUNS.jsonl META.json OUT.json -> table, medians,
                                             ratios, markdown; writes OUT.json
"""
import contextlib
import io
import json
import re
import statistics
import sys


def load_samples(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            rows.append((float(parts[0]), [int(x) for x in parts[1:]]))
    return rows


def crossing(rows, level):
    """Time at which the first counter reaches `level`, by linear
    interpolation between the two samples around the crossing."""
    prev = None
    for t, vals in rows:
        v = vals[0]
        if v >= level:
            if prev is None or prev[1] == v:
                return t
            pt, pv = prev
            return pt + (t - pt) * (level - pv) / (v - pv)
        prev = (t, v)
    return None


def counter(path):
    rows = load_samples(path)
    if len(rows) < 2:
        return {"error": "too few samples"}
    base = rows[0][1][0]
    final = rows[-1][1][0]
    d = final - base
    out = {"packets": d, "samples": len(rows),
           "interval_s": (rows[-1][0] - rows[0][0]) / max(1, len(rows) - 1)}
    if len(rows[0][1]) > 1:
        out["dropped"] = rows[-1][1][1] - rows[0][1][1]
    if d <= 0:
        out.update({"pps": None, "send_s": None})
        return out
    t01 = crossing(rows, base + 0.01 * d)
    t05 = crossing(rows, base + 0.05 * d)
    t95 = crossing(rows, base + 0.95 * d)
    t99 = crossing(rows, base + 0.99 * d)
    out["t_first"] = next(t for t, v in rows if v[0] > base)
    out["send_s"] = round(t99 - t01, 4) if t99 and t01 else None
    if t95 and t05 and t95 > t05:
        out["pps"] = round(0.90 * d / (t95 - t05))
    else:
        out["pps"] = None
    return out


def parse_num(s, unit=""):
    v = float(s)
    unit = unit.lower()
    if unit.startswith("k"):
        v *= 1e3
    elif unit.startswith("m"):
        v *= 1e6
    elif unit.startswith("g"):
        v *= 1e9
    return v


def toolpps(tool, log, sent=None):
    text = open(log, errors="replace").read().replace("\r", "\n")
    if tool == "bphound":
        # "bphound: N targets, N probes sent in T s (R pps), N open, ..."
        m = None
        for m in re.finditer(r"bphound: (\d+) targets, (\d+) probes sent in "
                             r"([0-9.]+) ?s \(([0-9.]+) pps\)", text):
            pass
        if not m:
            return {"pps": None, "note": "no summary line"}
        return {"pps": float(m.group(4)), "sent": int(m.group(2)),
                "seconds": float(m.group(3)), "source": "summary line"}
    if tool == "zmap":
        # status lines: "0:01 100% (0s left); send: 131072 done (1.23 Mp/s avg); ..."
        best = None
        for m in re.finditer(r"send: (\d+) done \(([0-9.]+) ?([KMG]?)p/s avg\)", text):
            best = m
        if not best:
            return {"pps": None, "note": "no 'send: N done' status line"}
        return {"pps": parse_num(best.group(2), best.group(3)),
                "sent": int(best.group(1)),
                "source": "last 'send: N done (X p/s avg)' status line"}
    if tool == "masscan":
        # status lines: "rate: 123.45-kpps, 42.10% done, 0:00:01 remaining, found=0"
        rates = []
        for m in re.finditer(r"rate:\s*([0-9.]+)-kpps,\s*([0-9.]+)% done", text):
            r, done = float(m.group(1)) * 1e3, float(m.group(2))
            if done < 100.0 and r > 0:
                rates.append(r)
        if not rates:
            return {"pps": None,
                    "note": "masscan printed no rate line while sending "
                            "(it prints one about every second)"}
        return {"pps": max(rates), "source": "max 'rate: X-kpps' status line "
                "before 100% done", "lines": len(rates)}
    return {"pps": None}


def found(tool, outfile, port):
    res = set()
    try:
        f = open(outfile, errors="replace")
    except OSError:
        return res
    with f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if tool == "bphound":
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("state", "open") == "open":
                    res.add(f"{r['ip']}:{r['port']}")
            elif tool == "masscan":
                # -oL: "open tcp 80 198.18.10.10 1700000000"
                p = line.split()
                if len(p) >= 4 and p[0] == "open":
                    res.add(f"{p[3]}:{p[2]}")
            elif tool == "zmap":
                # default csv module, field saddr, success=1 && repeat=0
                if re.fullmatch(r"[0-9.]+", line):
                    res.add(f"{line}:{port}")
    return res


def one_run(tool, run, d):
    meta = json.load(open(f"{d}/meta.json"))
    truth = set(meta["truth"])
    port = meta["port"]
    got = found(tool, f"{d}/out", port)
    c = counter(f"{d}/counter")
    tp = len(got & truth)
    tp_pps = toolpps(tool, f"{d}/log")
    wall = float(open(f"{d}/wall").read().strip())
    rc = int(open(f"{d}/rc").read().strip())
    try:
        load = open(f"{d}/loadavg").read().split()
    except OSError:
        load = None
    try:
        idle = int(open(f"{d}/idle").read().strip())
    except (OSError, ValueError):
        idle = None
    return {"tool": tool, "run": run, "rc": rc, "wall_s": round(wall, 3),
            "pps_tool": tp_pps.get("pps"), "tool_rate_info": tp_pps,
            "pps_counter": c.get("pps"), "counter": c,
            "send_s": c.get("send_s"), "loadavg_before": load,
            "idle_pct_before": idle,
            "recall": round(tp / len(truth), 4) if truth else None,
            "found": sorted(got), "true_pos": tp,
            "false_pos": sorted(got - truth), "missed": sorted(truth - got)}


def fmt(v, nd=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and nd:
        return f"{v:.{nd}f}"
    return f"{int(round(v)):,}"


def report(runs_path, meta_path, out_path):
    runs = [json.loads(l) for l in open(runs_path) if l.strip()]
    meta = json.load(open(meta_path))
    tools = []
    for r in runs:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    print()
    hdr = f"{'tool':8} {'run':>3} {'pps(tool)':>11} {'pps(counter)':>13} {'send s':>7} {'wall s':>7} {'recall':>6} {'fp':>3} {'rc':>3} {'load1':>5} {'idle%':>5}"
    print(hdr)
    print("-" * len(hdr))
    for r in runs:
        print(f"{r['tool']:8} {r['run']:>3} {fmt(r['pps_tool']):>11} {fmt(r['pps_counter']):>13} "
              f"{fmt(r['send_s'], 3):>7} {fmt(r['wall_s'], 2):>7} {fmt(r['recall'], 2):>6} "
              f"{len(r['false_pos']):>3} {r['rc']:>3} {(r.get('loadavg_before') or ['?'])[0]:>5} {str(r.get('idle_pct_before', '?')):>5}")
    summary = {}
    for t in tools:
        rs = [r for r in runs if r["tool"] == t]

        def med(key):
            vals = [r[key] for r in rs if r[key] is not None]
            return statistics.median(vals) if vals else None
        summary[t] = {"runs": len(rs), "median_pps_tool": med("pps_tool"),
                      "median_pps_counter": med("pps_counter"),
                      "median_send_s": med("send_s"), "median_wall_s": med("wall_s"),
                      "median_recall": med("recall")}
    print()
    print(f"{'tool':8} {'median pps(tool)':>17} {'median pps(counter)':>20} {'median recall':>14}")
    for t, s in summary.items():
        print(f"{t:8} {fmt(s['median_pps_tool']):>17} {fmt(s['median_pps_counter']):>20} "
              f"{fmt(s['median_recall'], 2):>14}")
    ratios = {}
    b = summary.get("bphound")
    for other in ("masscan", "zmap"):
        o = summary.get(other)
        for kind in ("pps_counter", "pps_tool"):
            key = f"bphound/{other} ({kind})"
            if b and o and b[f"median_{kind}"] and o[f"median_{kind}"]:
                ratios[key] = round(b[f"median_{kind}"] / o[f"median_{kind}"], 3)
            else:
                ratios[key] = None
    print()
    for k, v in ratios.items():
        print(f"ratio {k}: {fmt(v, 3) if v is not None else 'n/a'}")
    # markdown for docs/performance.md
    print()
    print(f"<!-- bench/syn_rate.sh, {meta['date']} -->")
    print(f"SYN sweep of {meta['targets']} addresses ({meta['range']}, port {meta['port']}) "
          f"over a veth pair between network namespaces, {meta['cpus']} cores "
          f"({meta['cpu_model']}), kernel {meta['kernel']}; {meta['runs']} alternating runs per tool; "
          "medians.")
    if meta.get("note"):
        print()
        print(f"Note: {meta['note']}")
    print()
    print("| tool | version | median pps (tool's own figure) | median pps (router veth rx counter) | median send time (s) | median recall |")
    print("|---|---|---:|---:|---:|---:|")
    for t, s in summary.items():
        print(f"| {t} | {meta['versions'].get(t, '?')} | {fmt(s['median_pps_tool'])} | "
              f"{fmt(s['median_pps_counter'])} | {fmt(s['median_send_s'], 3)} | "
              f"{fmt(s['median_recall'], 2)} |")
    print()
    for k, v in ratios.items():
        print(f"- {k}: {fmt(v, 3) if v is not None else 'n/a'}")
    print()
    print("Command lines:")
    print()
    for t, cmd in meta["commands"].items():
        print(f"- {t}: `{cmd}`")
    print()
    for t, note in meta["max_rate_notes"].items():
        print(f"- {t} max rate: {note}")
    json.dump({"meta": meta, "runs": runs, "summary": summary, "ratios": ratios},
              open(out_path, "w"), indent=2)
    print()
    print(f"results written to {out_path}")


def main():
    cmd = sys.argv[1]
    if cmd == "counter":
        print(json.dumps(counter(sys.argv[2])))
    elif cmd == "toolpps":
        print(json.dumps(toolpps(sys.argv[2], sys.argv[3])))
    elif cmd == "found":
        for x in sorted(found(sys.argv[2], sys.argv[3], int(sys.argv[4]))):
            print(x)
    elif cmd == "run":
        r = one_run(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        print(json.dumps(r))
        print(f"syn_rate.sh: {r['tool']} run {r['run']}: rc {r['rc']}, "
              f"pps(tool) {fmt(r['pps_tool'])}, pps(counter) {fmt(r['pps_counter'])}, "
              f"send {r['send_s']} s, wall {r['wall_s']} s, recall {r['recall']}, "
              f"router rx {r['counter'].get('packets')} pkts", file=sys.stderr)
    elif cmd == "report":
        # Build the whole text first: the JSON file is written even when
        # stdout is a pipe that closes early.
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            report(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.stdout.write(buf.getvalue())
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
