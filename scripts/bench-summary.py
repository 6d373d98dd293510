#!/usr/bin/env python3
"""`make bench`'s last step: turns every table of target/bench/bench.md into JSON
(target/bench/figures.json: one object per section, its rows keyed by column) and prints one
summary table of the headline figures. Prints what it found; never fails on a threshold.
With --divan, turns divan's results on stdin into a markdown table (bench.sh's micro-benchmarks)."""
import json
import re
import sys


def sections(md):
    out, header = [], None
    for line in md.splitlines():
        if line.startswith("## "):
            out.append({"section": line[3:].strip(), "rows": []})
            header = None
        elif line.startswith("|") and out:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
                out[-1]["rows"].append(dict(zip(header, cells)))
        else:
            header = None
    return [s for s in out if s["rows"]]


def find(data, prefix):
    return next((s["rows"] for s in data if s["section"].startswith(prefix)), [])


def divan_table(text):
    """Divan's tree of results (stdin) as a markdown table: one row per benchmark."""
    print("| benchmark | fastest | median | mean | samples |")
    print("|---|---:|---:|---:|---:|")
    rows = 0
    for line in text.splitlines():
        m = re.match(r"^[├╰]─ (\S+)\s+(.*)$", line)
        if not m:
            continue
        cells = [c.strip() for c in m.group(2).split("│")]
        if len(cells) >= 5:
            print(f"| {m.group(1)} | {cells[0]} | {cells[2]} | {cells[3]} | {cells[4]} |")
            rows += 1
    if rows == 0:
        print("| (divan printed no results) | | | | |")


def main():
    if sys.argv[1:] == ["--divan"]:
        divan_table(sys.stdin.read())
        return
    md_path, json_path = sys.argv[1], sys.argv[2]
    data = sections(open(md_path, encoding="utf-8").read())
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)

    summary = []
    for r in find(data, "Import:"):
        summary.append((f'import videos/s — {r["DynamoDB"]}, {r["DYNAMODB_MAX_INFLIGHT"]} in flight',
                        r["videos/s"], "tubefeed import, 500 videos"))
    for r in find(data, "API: read units"):
        n = r["videos"]
        summary.append((f"read units per feed page — {n} videos", r["feed page RU"], "limit 20"))
        summary.append((f"read units per 1-word search page — {n} videos", r["search 1 word RU"], "limit 20"))
        summary.append((f"read units per 2-word search page — {n} videos", r["search 2 words RU"], "limit 20"))
    for r in find(data, "API: in-process handler"):
        summary.append((f'handler time per page (mean / p99) — {r["route"]}', f'{r["mean"]} / {r["p99"]}',
                        f'{r["items"]} items, {r["body bytes"]} bytes'))
    for r in find(data, "Events:"):
        summary.append((f'events / PutEvents calls per run of {r["new videos in the run"]} new videos',
                        f'{r["events"]} / {r["PutEvents calls"]}',
                        f'{r["outbox write units per video"]} outbox write units per video'))
    for r in find(data, "API: one client"):
        summary.append((f'p50 / p99 {r["request"]} — {r["videos"]} videos', f'{r["p50"]} / {r["p99"]}',
                        "tubefeed serve, fresh connection"))
    for r in find(data, "Cold start"):
        roots = "" if r["TLS roots"] == "—" else f', {r["TLS roots"]} roots'
        summary.append((f'cold start ready / first answer — {r["function"]}{roots}',
                        f'{r["ready"]} ({r["× bare"]}× bare) / {r["first answer"]}',
                        f'peak RSS {r["peak RSS"]}, bootstrap {r["bootstrap"]}'))
    for r in find(data, "Micro-benchmarks"):
        summary.append((f'{r["benchmark"]} (median)', r["median"], "divan, pure hot path"))
    for r in find(data, "Soak"):
        summary.append(("soak: requests, errors, p50 / p99", f'{r["requests"]}, {r["errors (non-2xx/3xx + socket)"]}, '
                        f'{r["p50"]} / {r["p99"]}', f'RSS {r["serve RSS start"]} → {r["serve RSS end"]}'))

    print()
    print("## Summary (every table above is in " + json_path + ")")
    print()
    print("| figure | value | notes |")
    print("|---|---:|---|")
    for name, value, note in summary:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
