        }
        x = game_wrap(x);
        var bad = false;
        var far = false;
        for (var i = 0u; i < N; i++) {
            bad = bad || !(abs(x[i]) <= ST_GUARD);
            far = far || abs(x[i]) > bound;
        }
        if (bad) {
            x = prev;
            fate = 2u;
            fate_step = k;
            break;
        }
        if (far) {
            fate = 1u;
            fate_step = k;
            break;
        }
        if (has_target && st_dist(x) > lock_eps) {
            lock = k + 2u;
        }
    }
    for (var i = 0u; i < N; i++) {
        states[j * N + i] = x[i];
    }
