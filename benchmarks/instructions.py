"""Instructions per request, counted by valgrind: a figure that a busy machine cannot move.

Each variant runs in its own process under ``valgrind --tool=callgrind``, twice: once with ``--small``
requests and once with ``--large`` (Flask's test client, after the same warm-up). Start-up, imports and
warm-up are identical in both runs (and frozen out of the garbage collector's way), so
``(I_large - I_small) / (large - small)`` is the steady-state cost of one request. ``PYTHONHASHSEED=0``
and the same inputs in every run (one token, one cookie, one JWKS, minted beforehand) make the counts
repeat; ``--repeat 2`` measures everything twice and prints the spread.

The emulator runs in this (parent) process only: the measured processes point at it and fetch the JWKS
once while warming up. Each variant first runs once without valgrind at both request counts, and the
emulator's call counter must be the same after both (no call in the steady state), and the valgrind
runs together must make exactly the warm-up calls.

Usage::

    .venv/bin/python benchmarks/instructions.py                 # all seven variants, ~8 min on 2 quiet cores
    .venv/bin/python benchmarks/instructions.py --repeat 2      # and check that the counts repeat
    .venv/bin/python benchmarks/instructions.py --profile stack_session stack_bearer   # cProfile, see below

``--profile`` skips valgrind and prints, per variant, the functions of ``flask_stackauth`` that cost the
most per request under cProfile (self and inclusive share of the request loop's time).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _variants import LABELS, VARIANTS, Inputs, build

WARMUP = 20
#: Measured before issue 10 (instructions per request, test client, Python 3.11), for reference.
BASELINE = {"open": 1.15e6, "open_session": 1.51e6, "flask_login": 1.68e6, "stack_session": 1.70e6,
            "stack_bearer": 1.43e6, "jwt_extended": 2.76e6}
#: (label, numerator, denominator, target): each ratio is "higher is better".
RATIOS = (
    ("session path: Flask-Login / flask-stackauth session", "flask_login", "stack_session", 1.00),
    ("bearer path: unprotected no-cookie / flask-stackauth bearer", "open", "stack_bearer", 0.90),
    ("Flask-JWT-Extended / flask-stackauth bearer", "jwt_extended", "stack_bearer", 2.0),
)


# -- the measured process ---------------------------------------------------------------------------------

def child(variant: str, requests: int, inputs_path: str, profile_path: str | None) -> None:
    """Warm up, then send ``requests`` requests; raise on any answer but the expected 200."""
    app, req = build(variant, Inputs.load(Path(inputs_path).read_text()))
    # No cookie jar: the cookie is in the headers, the same bytes every request.
    get = app.test_client(use_cookies=False).get
    path, headers, expect = req.path, req.headers, req.expect.encode()

    def loop(n: int) -> None:
        for _ in range(n):
            response = get(path, headers=headers)
            if response.status_code != 200 or response.data != expect:
                raise SystemExit(f"{variant}: {response.status_code} {response.data[:200]!r}")

    loop(WARMUP)
    # Start-up's objects go to the permanent generation: otherwise one full collection of them (tens of
    # millions of instructions) lands in the large run or not, depending on the request counts, and skews
    # the difference. Young collections still run, as often as the requests make garbage.
    gc.collect()
    gc.freeze()
    if profile_path is None:
        loop(requests)
        return
    profiler = cProfile.Profile()
    profiler.runcall(loop, requests)
    profiler.dump_stats(profile_path)


# -- the parent -------------------------------------------------------------------------------------------

def _env() -> dict[str, str]:
    # The same few variables in every run: the environment's size shifts every later allocation, and with
    # it the probes of dicts keyed by id(); likewise ASLR (off below, through setarch, where it exists).
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}


def _child_cmd(variant: str, requests: int, inputs: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", variant, "--requests", str(requests),
            "--inputs", str(inputs)]


def _plain_run(variant: str, requests: int, inputs: Path, calls: Callable[[], int]) -> int:
    """One run without valgrind; the calls to Stack Auth it made."""
    before = calls()
    subprocess.run(_child_cmd(variant, requests, inputs), check=True, env=_env())
    return calls() - before


def _callgrind(variant: str, requests: int, inputs: Path, out_dir: Path, tag: str) -> int:
    """Total instructions of one run under callgrind."""
    out = out_dir / f"callgrind.{variant}.{requests}.{tag}"
    no_aslr = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    cmd = [*no_aslr, "valgrind", "--tool=callgrind", "-q", f"--callgrind-out-file={out}",
           *_child_cmd(variant, requests, inputs)]
    subprocess.run(cmd, check=True, env=_env(), stdout=subprocess.DEVNULL)
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def _profile(variants: list[str], requests: int, inputs: Path, top: int, match: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for variant in variants:
            out = Path(tmp) / f"{variant}.prof"
            subprocess.run([*_child_cmd(variant, requests, inputs), "--cprofile", str(out)], check=True, env=_env())
            stats = pstats.Stats(str(out))
            raw = stats.stats  # type: ignore[attr-defined]
            total = stats.total_tt  # type: ignore[attr-defined]
            rows = [(func, cc, nc, tt, ct) for func, (cc, nc, tt, ct, _) in raw.items()
                    if match in func[0]]
            print(f"\n### cProfile, {LABELS[variant]}: {requests} requests, {total / requests * 1e6:.1f} us "
                  "per request under the profiler")
            print(f"{'function (' + match.strip(os.sep) + ')':58} {'calls/req':>9} {'self':>7} {'incl.':>7}")
            for func, _cc, nc, tt, ct in sorted(rows, key=lambda r: -r[4])[:top]:
                where = f"{Path(func[0]).name}:{func[1]} {func[2]}"
                print(f"{where:58} {nc / requests:9.2f} {tt / total:7.1%} {ct / total:7.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100, help="requests in the first run of each variant")
    parser.add_argument("--large", type=int, default=600, help="requests in the second run of each variant")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, of: " + ", ".join(VARIANTS))
    parser.add_argument("--jobs", type=int, default=2, help="valgrind processes at once (counts do not depend on it)")
    parser.add_argument("--repeat", type=int, default=1, help="measure every variant this many times")
    parser.add_argument("--profile", nargs="+", metavar="VARIANT", help="cProfile these variants instead")
    parser.add_argument("--top", type=int, default=15, help="with --profile: rows per variant")
    parser.add_argument("--match", default=f"{os.sep}flask_stackauth{os.sep}",
                        help="with --profile: only functions whose file path contains this")
    parser.add_argument("--child", metavar="VARIANT", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=5000, help=argparse.SUPPRESS)
    parser.add_argument("--inputs", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.requests, args.inputs, args.cprofile)
        return

    variants = args.profile or [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if not args.profile and shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.large <= args.small:
        parser.error("--large must be more than --small")

    from _variants import prepare

    from flask_stackauth.emulator import run_emulator

    with run_emulator() as server, tempfile.TemporaryDirectory() as tmp:
        calls = server.emulator.calls
        inputs = Path(tmp) / "inputs.json"
        inputs.write_text(prepare(server).dump())
        if args.profile:
            _profile(variants, args.requests, inputs, args.top, args.match)
            return

        warm_calls: dict[str, int] = {}
        for variant in variants:
            small, large = (_plain_run(variant, n, inputs, calls) for n in (args.small, args.large))
            if small != large:
                raise SystemExit(f"{variant}: {large - small} calls to Stack Auth in {args.large - args.small} "
                                 "steady-state requests; expected none")
            warm_calls[variant] = small

        jobs = [(v, n, str(r)) for r in range(args.repeat) for v in variants for n in (args.small, args.large)]
        before = calls()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            totals = list(pool.map(lambda job: _callgrind(job[0], job[1], inputs, Path(tmp), job[2]), jobs))
        valgrind_calls = calls() - before
        expected_calls = sum(warm_calls[v] for v, _, _ in jobs)
        if valgrind_calls != expected_calls:
            raise SystemExit(f"the valgrind runs made {valgrind_calls} calls to Stack Auth; their warm-ups "
                             f"account for {expected_calls}")

    count = dict(zip(jobs, totals, strict=True))
    per_request = {v: [(count[(v, args.large, str(r))] - count[(v, args.small, str(r))]) / (args.large - args.small)
                       for r in range(args.repeat)] for v in variants}
    best = {v: min(values) for v, values in per_request.items()}

    print(f"instructions per request: (I({args.large}) - I({args.small})) / {args.large - args.small} under "
          f"callgrind, Flask test client, Python {platform.python_version()}, PYTHONHASHSEED=0")
    header = f"{'variant':48} {'instr/request':>14} {'spread':>8} {'before #10':>11} {'vs unprotected':>15}"
    print(header)
    for v in variants:
        spread = (max(per_request[v]) - min(per_request[v])) / min(per_request[v])
        vs_open = f"{best[v] / best['open']:.2f}x" if "open" in best else "-"
        before = f"{BASELINE[v] / 1e6:10.2f}M" if v in BASELINE else f"{'-':>11}"
        print(f"{LABELS[v]:48} {best[v]:14,.0f} {spread:8.4%} {before} {vs_open:>15}")
    print(f"calls to Stack Auth: 0 per steady-state request in every variant (warm-up, per process: "
          f"{', '.join(f'{v} {n}' for v, n in warm_calls.items())})")
    if args.repeat > 1:
        print(f"spread: (max - min) / min over {args.repeat} measurements of each variant")
    print("\nratios (higher is better):")
    for label, num, den, target in RATIOS:
        if num in best and den in best:
            ratio = best[num] / best[den]
            verdict = "met" if ratio >= target else "NOT met"
            print(f"  {label:62} {ratio:6.3f}  (target >= {target:.2f}: {verdict})")


if __name__ == "__main__":
    main()
