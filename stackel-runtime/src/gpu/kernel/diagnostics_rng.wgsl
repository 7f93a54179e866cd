    let w = st_philox(vec4<u32>(config[1] + j, config[2], config[3], config[4]), vec2<u32>(config[5], config[6]));
    words[4u * j] = w.x;
    words[4u * j + 1u] = w.y;
    words[4u * j + 2u] = w.z;
    words[4u * j + 3u] = w.w;
    let z = st_normals(w);
    for (var e = 0u; e < ST_NORMALS; e++) {
        values[ST_NORMALS * j + e] = z[e];
    }
