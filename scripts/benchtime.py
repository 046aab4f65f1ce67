"""One timed run for the benchmark scripts: wall time from a monotonic clock (GNU time's %e has
10 ms resolution, too coarse for warm runs) and peak RSS from GNU time."""
import subprocess, time


def timed(cmd, env=None):
    """Returns (wall seconds, peak RSS KiB) of one run of `cmd`; a failing run ends the
    benchmark with its stderr, since a figure from a failed run would be meaningless."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return wall, int(out.stderr.strip().splitlines()[-1])
