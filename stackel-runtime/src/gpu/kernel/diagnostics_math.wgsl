    let x = values[6u * j];
    let y = values[6u * j + 1u];
    values[6u * j] = st_exp(x);
    values[6u * j + 1u] = st_ln(x);
    values[6u * j + 2u] = st_sin(x);
    values[6u * j + 3u] = st_cos(x);
    values[6u * j + 4u] = st_tan(x);
    values[6u * j + 5u] = st_pow(x, y);
