"""`make load`: bring the world up as processes on loopback (`qofsim up`), run Locust headless for a bounded time, check conservation.

Writes Locust's CSV and HTML under --out, and conservation.json: every extract Locust saw accepted
must be held by GPES and by CQRS (resends must add nothing). Exits non-zero if not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "load")
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "qof-2012-13-infrastructure-test.yaml")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    world_dir = a.out / "world"
    # the world as separate processes (qofsim up); brought down below, whatever happens
    if subprocess.call([str(bin_dir / "qofsim"), "down", str(world_dir)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) == 0:
        print(f"stopped an earlier world in {world_dir}")
    if subprocess.call([str(bin_dir / "qofsim"), "up", str(a.scenario), "--dir", str(world_dir)]) != 0:
        print("qofsim up failed", file=sys.stderr)
        return 2
    info_path = world_dir / "world.json"
    try:
        info = json.loads(info_path.read_text())
        gpes, cqrs = info["services"]["gpes"]["url"], info["services"]["cqrs"]["url"]
        before_gpes = len(requests.get(f"{gpes}/receipts", timeout=30).json())
        before_cqrs = len(requests.get(f"{cqrs}/extracts", timeout=30).json())
        tally = a.out / "tally.json"
        env = {**os.environ, "QOFSIM_SERVE_INFO": str(info_path), "QOFSIM_LOAD_TALLY": str(tally)}
        rc = subprocess.call([str(bin_dir / "locust"), "-f", str(ROOT / "load" / "locustfile.py"), "--headless",
                              "-u", str(a.users), "-r", str(max(a.users // 2, 1)), "-t", f"{a.seconds}s",
                              "--host", gpes, "--csv", str(a.out / "locust"), "--html", str(a.out / "locust.html"),
                              "--only-summary", "--stop-timeout", "5"], env=env)
        counts = json.loads(tally.read_text()) if tally.exists() else {}
        deadline = time.monotonic() + 120  # GPES forwards from its outbox: let it drain
        while time.monotonic() < deadline and any(
                r["forward_state"] == "pending" for r in requests.get(f"{gpes}/receipts", timeout=60).json()):
            time.sleep(0.2)
        held_gpes = len(requests.get(f"{gpes}/receipts", timeout=60).json()) - before_gpes
        held_cqrs = len(requests.get(f"{cqrs}/extracts", timeout=60).json()) - before_cqrs
        result = {"seconds": a.seconds, "users": a.users, "accepted_by_locust": counts.get("accepted", 0),
                  "resent_by_locust": counts.get("resent", 0), "held_by_gpes": held_gpes, "held_by_cqrs": held_cqrs,
                  "conserved": counts.get("accepted", 0) == held_gpes == held_cqrs, "locust_exit": rc}
        (a.out / "conservation.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return 0 if result["conserved"] and result["accepted_by_locust"] > 0 else 1
    finally:
        subprocess.call([str(bin_dir / "qofsim"), "down", str(world_dir)])


if __name__ == "__main__":
    sys.exit(main())
