    let count = config[0];
    if (j >= count || fates[FATE_WORDS * j] != 0u) {
        return;
    }
    let tlo = config[1] + j;
    let thi = config[2] + select(0u, 1u, tlo < config[1]);
    let step0 = config[3];
    let nsteps = config[4];
    let key = vec2<u32>(config[5], config[6]);
    let has_target = config[7] != 0u;
    let wb = j * W;
    let xb = wb + OX;
    for (var i = 0u; i < N; i++) {
        moments[xb + i] = states[j * N + i];
    }
