        game_wrap(xb, 0u, 1u);
        var bad = false;
        var far = false;
        for (var i = 0u; i < N; i++) {
            let xi = moments[xb + i];
            bad = bad || !(abs(xi) <= ST_GUARD);
            far = far || abs(xi) > bound;
        }
        if (bad) {
            for (var i = 0u; i < N; i++) {
                moments[xb + i] = moments[wb + OPREV + i];
            }
            fate = 2u;
            fate_step = k;
            break;
        }
        if (far) {
            fate = 1u;
            fate_step = k;
            break;
        }
        if (has_target && st_dist_at(xb) > lock_eps) {
            lock = k + 2u;
        }
    }
    for (var i = 0u; i < N; i++) {
        states[j * N + i] = moments[xb + i];
    }
    fates[FATE_WORDS * j] = fate;
    fates[FATE_WORDS * j + 1u] = fate_step;
    fates[FATE_WORDS * j + 2u] = lock;
    // the largest relative residual so far, as f32 bits
    fates[FATE_WORDS * j + 3u] = bitcast<u32>(f32(moments[wb + ORES]));
    fates[FATE_WORDS * j + 4u] = solves;
    fates[FATE_WORDS * j + 5u] = iters;
    fates[FATE_WORDS * j + 6u] = max_it;
    fates[FATE_WORDS * j + 7u] = missed;
}
