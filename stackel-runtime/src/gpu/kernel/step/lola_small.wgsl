        var q = game_stackelberg_parts(x, p);
        let gamma2 = schedule[row + 1u];
        for (var i = 0u; i < D1; i++) {
            var acc = q.d21f2[i] * (gamma2 * q.d2f1[0]);
            for (var a = 1u; a < D2; a++) {
                acc += q.d21f2[a * D1 + i] * (gamma2 * q.d2f1[a]);
            }
            g[i] = q.d1f1[i] - acc;
        }
        for (var i = 0u; i < D2; i++) {
            g[D1 + i] = q.d2f2[i];
        }
