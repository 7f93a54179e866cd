    let eta = settings[SETTINGS_ETA];
    let bound = settings[SETTINGS_BOUND];
    let lock_eps = settings[SETTINGS_EPS];
    var lock = fates[FATE_WORDS * j + 2u];
    var solves = fates[FATE_WORDS * j + 4u];
    var iters = fates[FATE_WORDS * j + 5u];
    var max_it = fates[FATE_WORDS * j + 6u];
    var missed = fates[FATE_WORDS * j + 7u];
    var fate = 0u;
    var fate_step = 0u;
    var cw = vec4<u32>(0u);
    var cb = vec2<u32>(0xffffffffu);
    for (var s = 0u; s < nsteps; s++) {
        let k = step0 + s;
        let row = s * ROW;
        for (var i = 0u; i < N; i++) {
            moments[wb + OPREV + i] = moments[xb + i];
        }
