    for (var i = 0u; i < N; i++) {
        moments[2u * j * N + i] = m[i];
        moments[2u * j * N + N + i] = v[i];
    }
