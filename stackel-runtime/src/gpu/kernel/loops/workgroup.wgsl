// One trajectory per workgroup: the WG threads share the loops of one
// trajectory (entries lid, lid + WG, ...); sums over a vector are reduced
// through workgroup memory, and every value a branch or loop depends on
// comes from workgroupUniformLoad, so all threads take the same path.
var<workgroup> st_red: array<S, WG>;
var<workgroup> st_redu: array<u32, WG>;
var<workgroup> st_word: u32;

// The sum over the workgroup of each thread's v.
fn st_wsum(v: S, lid: u32) -> S {
    workgroupBarrier();
    st_red[lid] = v;
    for (var h = WG / 2u; h > 0u; h = h >> 1u) {
        workgroupBarrier();
        if (lid < h) {
            st_red[lid] = st_red[lid] + st_red[lid + h];
        }
    }
    return workgroupUniformLoad(&st_red[0]);
}
// The bitwise or over the workgroup of each thread's v.
fn st_wor(v: u32, lid: u32) -> u32 {
    workgroupBarrier();
    st_redu[lid] = v;
    for (var h = WG / 2u; h > 0u; h = h >> 1u) {
        workgroupBarrier();
        if (lid < h) {
            st_redu[lid] = st_redu[lid] | st_redu[lid + h];
        }
    }
    return workgroupUniformLoad(&st_redu[0]);
}
// a . b over n entries of the work area.
fn st_wdot(a: u32, b: u32, n: u32, lid: u32) -> S {
    var s = S(0.0);
    for (var i = lid; i < n; i += WG) {
        s += moments[a + i] * moments[b + i];
    }
    return st_wsum(s, lid);
}
// out = (H^T + eta I) v, v at vb (complete on entry), out at ob (complete on exit).
fn st_wapply(xb: u32, vb: u32, ob: u32, eta: S, lid: u32) {
    workgroupBarrier();
    game_h_tmul(xb, vb, ob, lid, WG);
    workgroupBarrier();
    for (var i = lid; i < D2; i += WG) {
        moments[ob + i] = moments[ob + i] + eta * moments[vb + i];
    }
    workgroupBarrier();
}
// Conjugate gradients as st_cg, the vectors split over the workgroup.
fn st_wcg(xb: u32, wb: u32, eta: S, lid: u32) -> StCg {
    let lb = wb + OL;
    let rb = wb + OR;
    let pb = wb + OP;
    let qb = wb + OQ;
    let bb = wb + OB;
    if (!KRYLOV_WARM) {
        for (var i = lid; i < D2; i += WG) {
            moments[lb + i] = S(0.0);
        }
    }
    st_wapply(xb, lb, rb, eta, lid);
    for (var i = lid; i < D2; i += WG) {
        moments[rb + i] = moments[bb + i] - moments[rb + i];
    }
    let bn = sqrt(st_wdot(bb, bb, D2, lid));
    var rn = sqrt(st_wdot(rb, rb, D2, lid));
    if (bn == S(0.0)) {
        for (var i = lid; i < D2; i += WG) {
            moments[lb + i] = S(0.0);
        }
        return st_report(S(0.0), 0u);
    }
    for (var i = lid; i < D2; i += WG) {
        moments[pb + i] = moments[rb + i];
    }
    var rr = rn * rn;
    var it = 0u;
    while (it < KRYLOV_MAX_ITER && !(rn <= KRYLOV_TOL * bn)) {
        st_wapply(xb, pb, qb, eta, lid);
        let pq = st_wdot(pb, qb, D2, lid);
        if (pq == S(0.0) || !st_finite(pq)) {
            break;
        }
        let alpha = rr / pq;
        for (var i = lid; i < D2; i += WG) {
            moments[lb + i] = moments[lb + i] + alpha * moments[pb + i];
            moments[rb + i] = moments[rb + i] - alpha * moments[qb + i];
        }
        let rr_new = st_wdot(rb, rb, D2, lid);
        let beta = rr_new / rr;
        for (var i = lid; i < D2; i += WG) {
            moments[pb + i] = moments[rb + i] + beta * moments[pb + i];
        }
        rr = rr_new;
        rn = sqrt(rr);
        it += 1u;
    }
    return st_report(rn / bn, it);
}

