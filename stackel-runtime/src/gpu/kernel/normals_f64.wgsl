fn st_pair_normals(w: vec4<u32>, half: u32) -> vec2<f64> {
    return st_box_muller(st_uniform(w.x, w.y), st_uniform(w.z, w.w));
}
fn st_normals(w: vec4<u32>) -> array<f64, 2> {
    let a = st_pair_normals(w, 0u);
    return array<f64, 2>(a.x, a.y);
}
