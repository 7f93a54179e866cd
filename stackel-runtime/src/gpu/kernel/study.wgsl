// Bindings and layout of the study kernel (see the `kernel` module docs).
// The host prepends, for the game and the study: `N` (state size d1 + d2),
// `D1`, `D2`, `NPA` (max(np, 1)), `ROW` (schedule words per step: one gain
// per player, then Adam's two bias corrections), `CONFIG_PLAYER` (first
// per-coordinate word of `config`) and `FATE_WORDS` (words of `fates` per
// trajectory).

// count, first trajectory (lo, hi), first step, steps, Philox key (2 words),
// has-target flag, Newton iterations, then per coordinate its player and its
// angle flag
@group(0) @binding(0) var<storage, read> config: array<u32>;
// game params (NPA), sigma (N), divergence bound, eta, Adam beta1, beta2,
// eps, target (N), lock-in radius, Newton tolerance
@group(0) @binding(1) var<storage, read> settings: array<S>;
// per step of the dispatch: each player's gamma_k, then 1 - beta1^(k+1),
// 1 - beta2^(k+1)
@group(0) @binding(2) var<storage, read> schedule: array<S>;
// states, trajectory-major: states[j * N + i]
@group(0) @binding(3) var<storage, read_write> states: array<S>;
// Adam moments m then v per trajectory: moments[2 j N + i], moments[2 j N + N + i]
@group(0) @binding(4) var<storage, read_write> moments: array<S>;
// per trajectory: fate code, its step, lock-in step, Newton failures
@group(0) @binding(5) var<storage, read_write> fates: array<u32>;

const SETTINGS_SIGMA: u32 = NPA;
const SETTINGS_BOUND: u32 = NPA + N;
const SETTINGS_ETA: u32 = NPA + N + 1u;
const SETTINGS_ADAM: u32 = NPA + N + 2u;
const SETTINGS_TARGET: u32 = NPA + N + 5u;
const SETTINGS_EPS: u32 = NPA + 2u * N + 5u;
const SETTINGS_NTOL: u32 = NPA + 2u * N + 6u;
const CONFIG_ANGLE: u32 = CONFIG_PLAYER + N;

// |x - target|_2 with angle coordinates wrapped.
fn st_dist(x: array<S, N>) -> S {
    var s = S(0.0);
    for (var i = 0u; i < N; i++) {
        var d = x[i] - settings[SETTINGS_TARGET + i];
        if (config[CONFIG_ANGLE + i] != 0u) {
            d = st_wrap_angle(d);
        }
        s += d * d;
    }
    return sqrt(s);
}
