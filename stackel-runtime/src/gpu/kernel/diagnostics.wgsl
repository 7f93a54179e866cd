// Bindings of the diagnostics kernels (rng, math, ceiling).
// count and the kernel's own words (see each kernel's docs)
@group(0) @binding(0) var<storage, read> config: array<u32>;
// Philox words, four per invocation (rng kernel; unused elsewhere)
@group(0) @binding(1) var<storage, read_write> words: array<u32>;
// scalars in and out: normals, function values or states
@group(0) @binding(2) var<storage, read_write> values: array<S>;
