"""Requests per second behind a real server: the variants of _variants.py under gunicorn, driven by ``wrk``.

Each variant gets its own gunicorn (one sync worker) on a free loopback port, all started at once and
warmed up (the first request fetches the JWKS from the emulator in this process). Then ``--rounds``
rounds run the variants in turn, ``--duration`` seconds of ``wrk`` each, the order rotated every round,
so a noisy neighbour slows them alike; the script prints the median requests per second and the same
ratios as ``instructions.py``. Loopback only; about rounds x 7 x duration seconds (105 s by default).
The emulator's call counter must not move during the rounds.

Usage::

    .venv/bin/python benchmarks/wrk_gunicorn.py [--rounds 5] [--duration 3] [--connections 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from _variants import LABELS, VARIANTS, Request, build, prepare

from flask_stackauth.emulator import run_emulator

#: (label, numerator, denominator, target): throughput ratios, "higher is better", as in instructions.py.
RATIOS = (
    ("session path: flask-stackauth session / Flask-Login", "stack_session", "flask_login", 1.00),
    ("bearer path: flask-stackauth bearer / unprotected no-cookie", "stack_bearer", "open", 0.90),
    ("flask-stackauth bearer / Flask-JWT-Extended", "stack_bearer", "jwt_extended", 2.0),
)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors:.*")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(variant: str, inputs: Path, port: int) -> subprocess.Popen[bytes]:
    here = Path(__file__).resolve().parent
    env = dict(os.environ, BENCH_VARIANT=variant, BENCH_INPUTS=str(inputs), PYTHONHASHSEED="0")
    cmd = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync", "--bind",
           f"127.0.0.1:{port}", "--log-level", "warning", "--pythonpath", str(here), "_variants:wsgi_from_env()"]
    return subprocess.Popen(cmd, env=env)


def _warm(url: str, req: Request, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn for {url} exited with {proc.returncode}")
        try:
            answer = requests.get(url + req.path, headers=req.headers, timeout=30)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer on {url} within 30 s") from None
            time.sleep(0.1)
    for _ in range(20):
        answer = requests.get(url + req.path, headers=req.headers, timeout=30)
        if answer.status_code != 200 or answer.text != req.expect:
            raise SystemExit(f"{url}{req.path}: {answer.status_code} {answer.text[:200]!r}")


def _wrk(url: str, req: Request, duration: int, connections: int) -> float:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s"]
    for name, value in req.headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url + req.path], check=True, capture_output=True, text=True).stdout
    bad = _NON_2XX.search(out)
    if bad:
        raise SystemExit(f"wrk on {url}{req.path}: {bad.group(1)} answers that were not 2xx/3xx")
    errors = _ERRORS.search(out)
    if errors:
        print(f"  note ({url}{req.path}): {errors.group(0)}", file=sys.stderr)
    match = _RPS.search(out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{out}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=3, help="seconds of wrk per variant per round")
    parser.add_argument("--connections", type=int, default=2,
                        help="wrk connections; 2 keeps the one sync worker busy while the other connects")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, of: " + ", ".join(VARIANTS))
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (Debian: apt-get install {tool})")

    with run_emulator() as server, tempfile.TemporaryDirectory() as tmp:
        inputs_path = Path(tmp) / "inputs.json"
        inputs = prepare(server)
        inputs_path.write_text(inputs.dump())
        reqs = {v: build(v, inputs)[1] for v in variants}
        urls = {v: f"http://127.0.0.1:{_free_port()}" for v in variants}
        procs = {v: _start(v, inputs_path, int(urls[v].rsplit(":", 1)[1])) for v in variants}
        try:
            for v in variants:
                _warm(urls[v], reqs[v], procs[v])
            calls_before = server.emulator.calls()
            rates: dict[str, list[float]] = {v: [] for v in variants}
            for r in range(args.rounds):
                order = variants[r % len(variants):] + variants[:r % len(variants)]
                for v in order:
                    rates[v].append(_wrk(urls[v], reqs[v], args.duration, args.connections))
            calls = server.emulator.calls() - calls_before
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    if calls:
        raise SystemExit(f"{calls} calls to Stack Auth during the rounds; expected none")

    median = {v: statistics.median(values) for v, values in rates.items()}
    print(f"gunicorn (1 sync worker per variant) under wrk -t1 -c{args.connections}, loopback; median of "
          f"{args.rounds} interleaved rounds of {args.duration} s")
    print(f"{'variant':48} {'req/s':>8} {'us/req':>8} {'min':>8} {'max':>8}")
    for v in variants:
        print(f"{LABELS[v]:48} {median[v]:8.0f} {1e6 / median[v]:8.1f} {min(rates[v]):8.0f} {max(rates[v]):8.0f}")
    print("calls to Stack Auth during the rounds: 0")
    print("\nratios of req/s (higher is better):")
    for label, num, den, target in RATIOS:
        if num in median and den in median:
            ratio = median[num] / median[den]
            verdict = "met" if ratio >= target else "NOT met"
            print(f"  {label:62} {ratio:6.3f}  (target >= {target:.2f}: {verdict})")
    print("(server, HTTP parsing and the TCP connection of every request are in each figure, so these ratios sit "
          "closer to 1 than those of instructions.py)")


if __name__ == "__main__":
    main()
