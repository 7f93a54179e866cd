    let eta = settings[SETTINGS_ETA];
    let bound = settings[SETTINGS_BOUND];
    let lock_eps = settings[SETTINGS_EPS];
    var lock = fates[FATE_WORDS * j + 2u];
    var newton_failures = fates[FATE_WORDS * j + 3u];
    var fate = 0u;
    var fate_step = 0u;
    var cw = vec4<u32>(0u);
    var cb = vec2<u32>(0xffffffffu);
    for (var s = 0u; s < nsteps; s++) {
        let k = step0 + s;
        let row = s * ROW;
        let prev = x;
        var g: array<S, N>;
