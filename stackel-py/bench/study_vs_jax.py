"""The duopoly study from Python (the game loaded from text, `stackel.Game`)
beside the same study in JAX jit + lax.scan, in one process, side by side:
two-timescale Stackelberg learning, N trajectories, K steps, noise variance
10, start (10, 10), gamma1 = 1/(k + 11), gamma2 = (k + 11)^(-2/3) (JAX:
k = 1..K with k0 = 10, the same numbers). Prints trajectory-steps/s and the
ratio, median of --runs runs each, float32 and float64.

    pip install numpy jax   # and the stackel wheel (maturin build --release)
    python stackel-py/bench/study_vs_jax.py --bench ../shared/bench [--N 100000 --K 10000]
"""
import argparse
import statistics
import sys
import time

import numpy as np

import stackel


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--N", type=int, default=100_000)
    ap.add_argument("--K", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bench", default="../shared/bench", help="folder of mc_jax.py")
    a = ap.parse_args()
    sys.path.insert(0, a.bench)
    import jax  # noqa: E402

    jax.config.update("jax_enable_x64", True)
    import mc_jax  # noqa: E402

    g = stackel.Game(open("games/duopoly.stk").read(), file="duopoly.stk")
    work = a.N * a.K
    print(f"duopoly two-timescale, N = {a.N}, K = {a.K}, {a.runs} runs each (median)")
    print("| dtype | stackel from Python | JAX jit+scan | stackel / JAX |")
    print("|---|---|---|---|")
    for dtype in ["float32", "float64"]:
        ours, theirs = [], []
        f = mc_jax.build("stackelberg", a.N, a.K, dtype, 10, "scan")
        key = jax.random.key(0)
        comp = f.lower(key).compile()
        for _ in range(a.runs):
            t = time.perf_counter()
            r = g.study(rule="two_timescale", leader_rate=stackel.rate(a=1.0, k0=11.0, p=1.0),
                        follower_rate=stackel.rate(a=1.0, k0=11.0, p=2 / 3), trajectories=a.N,
                        steps=a.K, noise=10.0, init=[10.0, 10.0], seed=1, dtype=dtype)
            ours.append(work / (time.perf_counter() - t))
            t = time.perf_counter()
            x = np.asarray(comp(key).block_until_ready())
            theirs.append(work / (time.perf_counter() - t))
            # the same dynamics: both means near the Stackelberg point (46, 26)
            assert np.all(np.abs(r.mean - [46, 26]) < 1.0) and np.all(np.abs(x.mean(0) - [46, 26]) < 1.0)
        o, j = statistics.median(ours), statistics.median(theirs)
        print(f"| {dtype} | {o:.3e} | {j:.3e} | {o / j:.2f} |")


if __name__ == "__main__":
    main()
