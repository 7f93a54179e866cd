// q 2^k for integer k in [-1100, 1100], rounded once.
fn st_ldexp(q: f64, k: f64) -> f64 {
    var r = q;
    var kk = k;
