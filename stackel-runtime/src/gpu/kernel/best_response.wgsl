// x2 <- r(x1) inside the step loop of the study kernel (see
// `best_response_wgsl` in study.rs): damped Newton on D2 f2(x1, .) = 0 with
// the game module's follower solve (game_lu_factor, game_lu_solve).
        {
            let atol = settings[SETTINGS_NTOL];
            let rtol = select(S(4.0) * ST_EPS, atol, atol >= S(4.0) * ST_EPS);
            var om = game_omega(x, p);
            var norm = S(0.0);
            for (var a = 0u; a < D2; a++) {
                norm = select(abs(om[D1 + a]), norm, norm >= abs(om[D1 + a]));
            }
            var failed = false;
            var converged = false;
            for (var it = 0u; it < config[8]; it++) {
                if (!st_finite(norm)) {
                    failed = true;
                    break;
                }
                if (norm <= atol) {
                    converged = true;
                    break;
                }
                let q = game_stackelberg_parts(x, p);
                let lu = game_lu_factor(q.d22f2);
                var rhs: array<S, D2>;
                for (var a = 0u; a < D2; a++) {
                    rhs[a] = om[D1 + a];
                }
                let ok = lu.ok;
                let lam = game_lu_solve(lu, rhs);
                if (!ok) {
                    failed = true;
                    break;
                }
                var lnorm = S(0.0);
                var xnorm = S(0.0);
                for (var a = 0u; a < D2; a++) {
                    lnorm = select(abs(lam[a]), lnorm, lnorm >= abs(lam[a]));
                    xnorm = select(abs(x[D1 + a]), xnorm, xnorm >= abs(x[D1 + a]));
                }
                let small = lnorm <= rtol * (S(1.0) + xnorm);
                var alpha = S(1.0);
                var accepted = false;
                for (var ls = 0u; ls < 30u; ls++) {
                    var trial = x;
                    for (var a = 0u; a < D2; a++) {
                        trial[D1 + a] = x[D1 + a] - alpha * lam[a];
                    }
                    let tom = game_omega(trial, p);
                    var tn = S(0.0);
                    for (var a = 0u; a < D2; a++) {
                        tn = select(abs(tom[D1 + a]), tn, tn >= abs(tom[D1 + a]));
                    }
                    if (st_finite(tn) && tn < norm) {
                        x = trial;
                        om = tom;
                        norm = tn;
                        accepted = true;
                        break;
                    }
                    alpha = alpha * S(0.5);
                }
                if (small) {
                    converged = true;
                    break;
                }
                if (!accepted) {
                    failed = true;
                    break;
                }
            }
            if (failed || (!converged && !(norm <= atol))) {
                newton_failures += 1u;
            }
        }
