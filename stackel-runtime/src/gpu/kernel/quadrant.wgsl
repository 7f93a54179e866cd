// (sin, cos) of a + q pi/2 from (sin a, cos a), q in {0, 1, 2, 3}.
fn st_quadrant(q: S, s: S, c: S) -> vec2<S> {
    let swap = q == S(1.0) || q == S(3.0);
    let s1 = select(s, c, swap);
    let c1 = select(c, s, swap);
    let neg_s = q == S(2.0) || q == S(3.0);
    let neg_c = q == S(1.0) || q == S(2.0);
    return vec2<S>(select(s1, -s1, neg_s), select(c1, -c1, neg_c));
}
