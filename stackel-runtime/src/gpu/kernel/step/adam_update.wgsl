            m[i] = beta1 * m[i] + (S(1.0) - beta1) * g[i];
            v[i] = beta2 * v[i] + (S(1.0) - beta2) * g[i] * g[i];
            let mh = m[i] / schedule[row + ROW - 2u];
            let vh = v[i] / schedule[row + ROW - 1u];
            x[i] = x[i] - gain * mh / (sqrt(vh) + adam_eps);
