// One follower solve's report: iterations, relative residual, converged.
struct StCg {
    it: u32,
    rel: S,
    converged: bool,
}
fn st_report(rel: S, it: u32) -> StCg {
    return StCg(it, rel, st_finite(rel) && rel <= KRYLOV_TOL);
}
// out = (H^T + eta I) v: v at vb, out at ob.
fn st_apply(xb: u32, vb: u32, ob: u32, eta: S) {
    game_h_tmul(xb, vb, ob, 0u, 1u);
    for (var i = 0u; i < D2; i++) {
        moments[ob + i] = moments[ob + i] + eta * moments[vb + i];
    }
}
// Conjugate gradients on (H^T + eta I) lambda = D2 f1 (b at OB), lambda at
// OL (the warm start), as the CPU's Krylov::cg: r = b - A lambda, p = r;
// alpha = r.r / p.Ap, lambda += alpha p, r -= alpha Ap, beta = r'.r' / r.r,
// p = r' + beta p, until |r| <= tol |b| or max_iter iterations.
fn st_cg(xb: u32, wb: u32, eta: S) -> StCg {
    let lb = wb + OL;
    let rb = wb + OR;
    let pb = wb + OP;
    let qb = wb + OQ;
    let bb = wb + OB;
    if (!KRYLOV_WARM) {
        for (var i = 0u; i < D2; i++) {
            moments[lb + i] = S(0.0);
        }
    }
    st_apply(xb, lb, rb, eta);
    for (var i = 0u; i < D2; i++) {
        moments[rb + i] = moments[bb + i] - moments[rb + i];
    }
    let bn = sqrt(st_dot(bb, bb, D2));
    var rn = sqrt(st_dot(rb, rb, D2));
    if (bn == S(0.0)) {
        for (var i = 0u; i < D2; i++) {
            moments[lb + i] = S(0.0);
        }
        return st_report(S(0.0), 0u);
    }
    for (var i = 0u; i < D2; i++) {
        moments[pb + i] = moments[rb + i];
    }
    var rr = rn * rn;
    var it = 0u;
    while (it < KRYLOV_MAX_ITER && !(rn <= KRYLOV_TOL * bn)) {
        st_apply(xb, pb, qb, eta);
        let pq = st_dot(pb, qb, D2);
        if (pq == S(0.0) || !st_finite(pq)) {
            break;
        }
        let alpha = rr / pq;
        for (var i = 0u; i < D2; i++) {
            moments[lb + i] = moments[lb + i] + alpha * moments[pb + i];
            moments[rb + i] = moments[rb + i] - alpha * moments[qb + i];
        }
        let rr_new = st_dot(rb, rb, D2);
        let beta = rr_new / rr;
        for (var i = 0u; i < D2; i++) {
            moments[pb + i] = moments[rb + i] + beta * moments[pb + i];
        }
        rr = rr_new;
        rn = sqrt(rr);
        it += 1u;
    }
    return st_report(rn / bn, it);
}

