// IEEE special cases of st_exp, st_ln, st_sin, st_cos, st_tan and st_pow
// (see `special_wgsl` in prelude.rs); only finite, in-range arguments reach
// the `_core` functions. The host prepends `alias S`, `ST_MAX`,
// `ST_EXP_OVER` and `ST_EXP_UNDER` for the precision.
fn st_inf() -> S {
    return S(bitcast<f32>(0x7f800000u));
}
fn st_nan() -> S {
    return S(bitcast<f32>(0x7fc00000u));
}
fn st_is_nan(a: S) -> bool {
    return !(a == a);
}
fn st_exp(a: S) -> S {
    if (st_is_nan(a)) {
        return st_nan();
    }
    if (a > ST_EXP_OVER) {
        return st_inf();
    }
    if (a < ST_EXP_UNDER) {
        return S(0.0);
    }
    return st_exp_core(a);
}
fn st_ln(a: S) -> S {
    if (st_is_nan(a) || a < S(0.0)) {
        return st_nan();
    }
    if (a == S(0.0)) {
        return -st_inf();
    }
    if (a > ST_MAX) {
        return st_inf();
    }
    return st_ln_core(a);
}
fn st_sin(a: S) -> S {
    if (!(abs(a) <= ST_MAX)) {
        return st_nan();
    }
    return st_sincos(a).x;
}
fn st_cos(a: S) -> S {
    if (!(abs(a) <= ST_MAX)) {
        return st_nan();
    }
    return st_sincos(a).y;
}
fn st_tan(a: S) -> S {
    if (!(abs(a) <= ST_MAX)) {
        return st_nan();
    }
    let sc = st_sincos(a);
    return sc.x / sc.y;
}
fn st_pow(a: S, b: S) -> S {
    if (b == S(0.0) || a == S(1.0)) {
        return S(1.0);
    }
    if (st_is_nan(a) || st_is_nan(b)) {
        return st_nan();
    }
    let aa = abs(a);
    if (abs(b) > ST_MAX) {
        if (aa == S(1.0)) {
            return S(1.0);
        }
        return select(S(0.0), st_inf(), (aa > S(1.0)) == (b > S(0.0)));
    }
    if (aa == S(0.0)) {
        return select(st_inf(), S(0.0), b > S(0.0));
    }
    let bi = floor(b);
    let odd = bi == b && bi - S(2.0) * floor(bi * S(0.5)) == S(1.0);
    var m = select(S(0.0), st_inf(), b > S(0.0));
    if (aa <= ST_MAX) {
        if (a < S(0.0) && bi != b) {
            return st_nan();
        }
        m = st_exp(b * st_ln_core(aa));
    }
    return select(m, -m, a < S(0.0) && odd);
}
