// a = m 2^e with m in [1, 2) (finite a > 0), by exact scalings.
fn st_split(a: f64) -> vec2<f64> {
    var m = a;
    var e = f64(0.0);
