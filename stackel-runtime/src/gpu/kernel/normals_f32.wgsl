fn st_pair_normals(w: vec4<u32>, half: u32) -> vec2<f32> {
    let h = half == 1u;
    return st_box_muller(st_uniform(select(w.x, w.z, h)), st_uniform(select(w.y, w.w, h)));
}
fn st_normals(w: vec4<u32>) -> array<f32, 4> {
    let a = st_pair_normals(w, 0u);
    let b = st_pair_normals(w, 1u);
    return array<f32, 4>(a.x, a.y, b.x, b.y);
}
