"""The mixture-of-Gaussians GAN training step of the paper (Appendix D.1) in JAX, the reference that
stackel's tape-form GAN is measured against side by side (examples/gan_step.rs, same machine).

Networks: generator 16 -> 32 -> 32 -> 2 (tanh hidden layers for the diamond, relu for the circle),
discriminator 2 -> 32 -> 1 logit (tanh / relu hidden layer; the sigmoid is folded into the
log-sigmoid losses). Batch 256, PyTorch-default init (weights and biases ~ U(-1/sqrt(fan_in), +)),
Adam (0.9, 0.999, 1e-8), learning rates decayed gamma_i nu_i^k.

Rules:
- simultaneous gradient descent: both players step along their own gradients;
- Stackelberg (Appendix C, eta = 1): the leader steps along D1f1 - D21f2^T (D22f2 + eta I)^-1 D2f1,
  the inverse-Hessian-vector product by jax.scipy.sparse.linalg.cg with maxiter=5 and a warm start
  (the previous step's solution carried in the scan state); Hessian-vector products by jax.jvp over
  jax.grad (forward over reverse), D21f2^T v by jax.vjp.

The whole training loop runs jit-compiled inside lax.scan (no Python dispatch per step); it is timed
after compilation (block_until_ready), median of --repeats runs. A second column times a jitted single
step dispatched from Python per step, for context.

    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install numpy jax
    /tmp/jaxenv/bin/python bench/gan_jax.py --steps 200 --repeats 5 [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.sparse.linalg import cg

B, Z, H = 256, 16, 32

EXPERIMENTS = {
    # name: (means, variance, activation, saturating, learning rate)
    "diamond": ([(1.5 * jnp.sin(w), 1.5 * jnp.cos(w)) for w in [k * jnp.pi / 2 for k in range(4)]],
                0.15, jnp.tanh, True, 1e-4),
    "circle": ([(jnp.sin(w), jnp.cos(w)) for w in [k * jnp.pi / 4 for k in range(8)]],
               0.3, jax.nn.relu, False, 4e-4),
}


def linear(key, fan_in, fan_out):
    b = 1.0 / jnp.sqrt(fan_in)
    kw, kb = jax.random.split(key)
    return (jax.random.uniform(kw, (fan_out, fan_in), jnp.float32, -b, b),
            jax.random.uniform(kb, (fan_out,), jnp.float32, -b, b))


def init(key):
    k = jax.random.split(key, 5)
    gen = [*linear(k[0], Z, H), *linear(k[1], H, H), *linear(k[2], H, 2)]
    disc = [*linear(k[3], 2, H), *linear(k[4], H, 1)]
    return gen, disc


def make(name):
    means, var, act, saturating, lr = EXPERIMENTS[name]
    means = jnp.array(means, jnp.float32)

    def generate(gen, z):
        w1, b1, w2, b2, w3, b3 = gen
        h = act(z @ w1.T + b1)
        h = act(h @ w2.T + b2)
        return h @ w3.T + b3

    def logit(disc, x):
        v1, c1, v2, c2 = disc
        return (act(x @ v1.T + c1) @ v2.T + c2)[:, 0]

    def losses(gen, disc, x, z):
        dr, df = logit(disc, x), logit(disc, generate(gen, z))
        loss_d = -jnp.mean(jax.nn.log_sigmoid(dr) + jax.nn.log_sigmoid(-df))
        f1 = -loss_d if saturating else -jnp.mean(jax.nn.log_sigmoid(df))
        return f1, loss_d

    f1 = lambda g, d, x, z: losses(g, d, x, z)[0]
    f2 = lambda g, d, x, z: losses(g, d, x, z)[1]

    def sample(key):
        kc, kn, kz = jax.random.split(key, 3)
        comp = jax.random.randint(kc, (B,), 0, means.shape[0])
        x = means[comp] + jnp.sqrt(var) * jax.random.normal(kn, (B, 2), jnp.float32)
        return x, jax.random.normal(kz, (B, Z), jnp.float32)

    def adam(p, g, m, v, k, rate):
        m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
        v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
        t = k.astype(jnp.float32) + 1.0
        p = jax.tree.map(lambda p, m, v: p - rate * (m / (1 - 0.9 ** t)) / (jnp.sqrt(v / (1 - 0.999 ** t)) + 1e-8),
                         p, m, v)
        return p, m, v

    def step(rule):
        nu1, nu2 = (1 - 1e-7, 1 - 1e-7) if rule == "simultaneous" else (1 - 1e-5, 1 - 1e-7)

        def body(carry, k):
            gen, disc, mg, vg, md, vd, lam, key = carry
            key, sub = jax.random.split(key)
            x, z = sample(sub)
            g1 = jax.grad(f1, 0)(gen, disc, x, z)
            g2 = jax.grad(f2, 1)(gen, disc, x, z)
            if rule == "stackelberg":
                d2f1 = jax.grad(f1, 1)(gen, disc, x, z)
                grad2 = lambda d: jax.grad(f2, 1)(gen, d, x, z)

                def hvp(w):  # (D22f2 + eta I) w, forward over reverse
                    return jax.tree.map(lambda a, b: a + b, jax.jvp(grad2, (disc,), (w,))[1], w)

                lam, _ = cg(hvp, d2f1, x0=lam, maxiter=5)
                _, bt = jax.vjp(lambda g: jax.grad(f2, 1)(g, disc, x, z), gen)
                (btl,) = bt(lam)
                g1 = jax.tree.map(lambda a, b: a - b, g1, btl)
            kk = k.astype(jnp.float32)
            gen, mg, vg = adam(gen, g1, mg, vg, k, lr * nu1 ** kk)
            disc, md, vd = adam(disc, g2, md, vd, k, lr * nu2 ** kk)
            return (gen, disc, mg, vg, md, vd, lam, key), None

        return body

    return step, init


def run(name, rule, steps, repeats):
    step, init_fn = make(name)
    body = step(rule)
    gen, disc = init_fn(jax.random.PRNGKey(0))
    zeros = lambda t: jax.tree.map(jnp.zeros_like, t)
    carry = (gen, disc, zeros(gen), zeros(gen), zeros(disc), zeros(disc), zeros(disc), jax.random.PRNGKey(1))

    @jax.jit
    def train(carry):
        out, _ = lax.scan(body, carry, jnp.arange(steps))
        return out

    t = time.perf_counter()
    compiled = train.lower(carry).compile()
    compile_s = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(compiled(carry))
        times.append(time.perf_counter() - t)
    scan_ms = statistics.median(times) / steps * 1e3

    one = jax.jit(lambda c, k: body(c, k)[0])
    c = jax.block_until_ready(one(carry, jnp.int32(0)))
    t = time.perf_counter()
    for k in range(steps):
        c = one(c, jnp.int32(k))
    jax.block_until_ready(c)
    dispatch_ms = (time.perf_counter() - t) / steps * 1e3
    return {"experiment": name, "rule": rule, "steps": steps, "ms_per_step_scan": scan_ms,
            "ms_per_step_dispatch": dispatch_ms, "compile_s": compile_s}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--experiments", default="diamond,circle")
    ap.add_argument("--rules", default="simultaneous,stackelberg")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    rows = []
    for name in a.experiments.split(","):
        for rule in a.rules.split(","):
            r = run(name, rule, a.steps, a.repeats)
            rows.append(r)
            print(f"{name:8} {rule:13} {r['ms_per_step_scan']:8.3f} ms/step (jit+scan)  "
                  f"{r['ms_per_step_dispatch']:8.3f} ms/step (jit, Python loop)  compile {r['compile_s']:.1f} s",
                  flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": platform.platform(), "jax": jax.__version__, "runs": rows}, f, indent=1)


if __name__ == "__main__":
    main()
