        game_d1f1(xb, wb + OG, 0u, 1u);
        game_d2f1(xb, wb + OB, 0u, 1u);
        game_d2f2(xb, wb + OG + D1, 0u, 1u);
        let rep = st_cg(xb, wb, eta);
        solves += 1u;
        iters += rep.it;
        max_it = max(max_it, rep.it);
        let worst = moments[wb + ORES];
        if (rep.rel > worst || rep.rel != rep.rel) {
            moments[wb + ORES] = rep.rel;
        }
        if (!rep.converged) {
            missed += 1u;
            if (!KRYLOV_TRUNCATED) {
                fate = 4u;
                fate_step = k;
                break;
            }
        }
        game_b_tmul(xb, wb + OL, wb + OBT, 0u, 1u);
        for (var i = 0u; i < D1; i++) {
            moments[wb + OG + i] = moments[wb + OG + i] - moments[wb + OBT + i];
        }
