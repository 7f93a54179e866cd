    for (var i = 0u; i < N; i++) {
        m[i] = moments[2u * j * N + i];
        v[i] = moments[2u * j * N + N + i];
    }
    let beta1 = settings[SETTINGS_ADAM];
    let beta2 = settings[SETTINGS_ADAM + 1u];
    let adam_eps = settings[SETTINGS_ADAM + 2u];
