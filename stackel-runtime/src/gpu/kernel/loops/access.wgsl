// The game module's accessors (emit_wgsl_loops contract): the work area
// (binding 4) and the params (the first NPA entries of settings).
fn st_ld(i: u32) -> S {
    return moments[i];
}
fn st_st(i: u32, v: S) {
    moments[i] = v;
}
fn st_param(i: u32) -> S {
    return settings[i];
}
// a . b over n entries of the work area, summed in order.
fn st_dot(a: u32, b: u32, n: u32) -> S {
    var s = S(0.0);
    for (var i = 0u; i < n; i++) {
        s += moments[a + i] * moments[b + i];
    }
    return s;
}
// |x - target|_2 with angle coordinates wrapped, x at xb.
fn st_dist_at(xb: u32) -> S {
    var s = S(0.0);
    for (var i = 0u; i < N; i++) {
        var d = moments[xb + i] - settings[SETTINGS_TARGET + i];
        if (config[CONFIG_ANGLE + i] != 0u) {
            d = st_wrap_angle(d);
        }
        s += d * d;
    }
    return sqrt(s);
}
