#!/usr/bin/env python3
"""Cross-checks Touchpoint's exact Markov attribution against the
ChannelAttribution package (which estimates removal effects by simulation).

    pip install ChannelAttribution pandas matplotlib
    python3 scripts/markov_crosscheck.py [paths, default 20000]

Generates journeys over six channels (1-6 touches, no channel twice in a row,
conversion odds that depend on the channels present), aggregates them as
ChannelAttribution expects, and compares each channel's credited conversions.
Passes when every channel is within 1% of all conversions (simulation noise;
ChannelAttribution runs 10^6 simulations here, and more shrink the gap).
"""
import io, random, subprocess, sys
from collections import Counter

import pandas as pd
import ChannelAttribution as ca

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = random.Random(7)
channels = ["Organic", "Paid", "Email", "Social", "Referral", "Direct"]
lift = {"Organic": 0.05, "Paid": 0.12, "Email": 0.2, "Social": 0.02, "Referral": 0.08, "Direct": 0.04}
rows = Counter()
for _ in range(n):
    path = []
    for _ in range(rng.randint(1, 6)):
        c = rng.choice([x for x in channels if not path or x != path[-1]])
        path.append(c)
    p = min(0.9, sum(lift[c] for c in set(path)))
    rows[(" > ".join(path), rng.random() < p)] += 1
agg = {}
for (path, conv), k in rows.items():
    c, z = agg.get(path, (0, 0))
    agg[path] = (c + k, z) if conv else (c, z + k)
df = pd.DataFrame([(p, c, z) for p, (c, z) in agg.items()], columns=["path", "total_conversions", "total_null"])
total = df["total_conversions"].sum()

theirs = ca.markov_model(df, var_path="path", var_conv="total_conversions", var_null="total_null",
                         order=1, verbose=0, nsim_start=int(1e6))
theirs = dict(zip(theirs["channel_name"], theirs["total_conversions"]))

csv = io.StringIO()
df.to_csv(csv, index=False)
out = subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "markov_paths"],
                     input=csv.getvalue(), capture_output=True, text=True, check=True).stdout
ours = {line.split(",")[0]: float(line.split(",")[1]) for line in out.strip().splitlines()}

worst = 0.0
print(f"{n} paths, {total} conversions")
print(f"{'channel':<10} {'touchpoint':>12} {'ChannelAttr.':>12} {'diff %':>8}")
for c in channels:
    d = abs(ours.get(c, 0) - theirs.get(c, 0)) / total * 100
    worst = max(worst, d)
    print(f"{c:<10} {ours.get(c, 0):>12.2f} {theirs.get(c, 0):>12.2f} {d:>8.3f}")
print(f"largest difference: {worst:.3f}% of conversions")
sys.exit(0 if worst < 1.0 else 1)
