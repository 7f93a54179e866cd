        var q = game_stackelberg_parts(x, p);
        let h00 = q.d22f2[0] + eta;
        let h01 = q.d22f2[1];
        let h10 = q.d22f2[2];
        let h11 = q.d22f2[3] + eta;
        let det = h00 * h11 - h01 * h10;
        if (det == S(0.0) || !st_finite(det)) {
            fate = 3u;
            fate_step = k;
            break;
        }
        let l0 = (h11 * q.d2f1[0] - h10 * q.d2f1[1]) / det;
        let l1 = (h00 * q.d2f1[1] - h01 * q.d2f1[0]) / det;
        for (var i = 0u; i < D1; i++) {
            var acc = q.d21f2[i] * l0;
            acc += q.d21f2[D1 + i] * l1;
            g[i] = q.d1f1[i] - acc;
        }
        g[D1] = q.d2f2[0];
        g[D1 + 1u] = q.d2f2[1];
