        let field = game_omega_s(x, p, eta);
        if (!field.ok) {
            fate = 3u;
            fate_step = k;
            break;
        }
        g = field.v;
