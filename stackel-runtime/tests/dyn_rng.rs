//! Philox4x32-10 against the Random123 known-answer vectors, and the
//! uniform/normal mapping against the standard library and statistics.

use stackel_runtime::rng::{
    self, box_muller, mulhilo32, mulhilo32_split16, normals_for, philox4x32_10, NoiseFloat,
};

#[test]
fn philox_known_answers() {
    assert_eq!(
        philox4x32_10([0; 4], [0; 2]),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    assert_eq!(
        philox4x32_10([0xffffffff; 4], [0xffffffff; 2]),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    assert_eq!(
        philox4x32_10(
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0]
        ),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
}

#[test]
fn split16_multiply_equals_64_bit_multiply() {
    let mut s = 0x1234_5678u32;
    let mut vals = vec![0, 1, 0xffff, 0x10000, 0xffff_ffff, 0x8000_0000];
    for _ in 0..2000 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        vals.push(s);
    }
    for &a in &vals {
        for &b in vals.iter().step_by(37) {
            assert_eq!(mulhilo32(a, b), mulhilo32_split16(a, b), "{a:x} {b:x}");
        }
    }
}

#[test]
fn counter_mapping_is_documented_layout() {
    let c = rng::block_counter(0x3_0000_0007, 0x1_0000_0002, rng::STREAM_INIT);
    assert_eq!(c, [7, 2, 1, (1 << 24) | 3]);
    assert_eq!(rng::seed_key(0x0000_0005_0000_0009), [9, 5]);
}

/// The documented stream layout, written out independently: pair i = kP + q
/// of step k lies in block i / (pairs per block) at half i mod (pairs per
/// block); its uniforms come from the block's words by the documented
/// bit formulas.
fn documented_normals<T: NoiseFloat>(seed: u64, t: u64, step: u64, n: usize) -> Vec<f64> {
    let p = n.div_ceil(2) as u64;
    let f32_mode = T::NORMALS_PER_BLOCK == 4;
    let mut out = Vec::new();
    for q in 0..p {
        let i = step * p + q;
        let (b, h) = if f32_mode { (i / 2, i % 2) } else { (i, 0) };
        let ctr = [b as u32, t as u32, (t >> 32) as u32, (b >> 32) as u32];
        let w = philox4x32_10(ctr, [seed as u32, (seed >> 32) as u32]);
        let (ua, ub) = if f32_mode {
            let u = |x: u32| ((x >> 8) + 1) as f64 / 16_777_216.0;
            (u(w[2 * h as usize]), u(w[2 * h as usize + 1]))
        } else {
            let u = |x: u32, y: u32| {
                ((x >> 5) as f64 * 67_108_864.0 + (y >> 6) as f64 + 1.0) / 9_007_199_254_740_992.0
            };
            (u(w[0], w[1]), u(w[2], w[3]))
        };
        let r = (-2.0 * ua.ln()).sqrt();
        let a = std::f64::consts::TAU * ub;
        out.push(r * a.cos());
        out.push(r * a.sin());
    }
    out.truncate(n);
    out
}

fn stream_layout<T: NoiseFloat>(tol: f64) {
    for n in 1..=7usize {
        for (t, step) in [
            (0u64, 0u32),
            (5, 1),
            (0x1_0000_0003, 2),
            (9, 3),
            (2, 0xffff_fff0),
        ] {
            let mut got = vec![T::zero(); n];
            normals_for(77, t, step, rng::STREAM_NOISE, &mut got);
            let want = documented_normals::<T>(77, t, step as u64, n);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g.re() - w).abs() < tol * w.abs().max(1.0),
                    "n {n} t {t} step {step}: {} vs {w}",
                    g.re()
                );
            }
        }
    }
}

#[test]
fn normals_follow_the_documented_stream_layout() {
    stream_layout::<f64>(1e-13);
    stream_layout::<f32>(2e-6);
}

#[test]
fn f32_two_coordinates_use_each_block_for_two_steps() {
    // steps 2m and 2m + 1 are the two halves of block m: no word is wasted
    for m in [0u32, 1, 1000] {
        let w = philox4x32_10(
            rng::block_counter(m as u64, 4, rng::STREAM_NOISE),
            rng::seed_key(3),
        );
        let mut block = [0.0f32; 4];
        f32::normals(w, &mut block);
        let (mut a, mut b) = ([0.0f32; 2], [0.0f32; 2]);
        normals_for(3, 4, 2 * m, rng::STREAM_NOISE, &mut a);
        normals_for(3, 4, 2 * m + 1, rng::STREAM_NOISE, &mut b);
        assert_eq!([a[0], a[1], b[0], b[1]], block);
    }
}

#[test]
fn uniforms_cover_the_half_open_unit_interval() {
    assert_eq!(f64::uniform(u32::MAX, u32::MAX), 1.0);
    assert_eq!(f64::uniform(0, 0), 2f64.powi(-53));
    assert_eq!(f32::uniform(u32::MAX, 0), 1.0);
    assert_eq!(f32::uniform(0, 0), 2f32.powi(-24));
}

#[test]
fn polynomial_ln_and_sincos_match_std() {
    let mut worst = (0.0f64, 0.0f64, 0.0f64, 0.0f32, 0.0f32);
    for i in 1..=200_000u64 {
        // spans many binades, including 2^-53 and 1
        let u = if i < 60 {
            2f64.powi(-(i as i32))
        } else {
            i as f64 / 200_000.0
        };
        worst.0 = worst
            .0
            .max((f64::ln_unit(u) - u.ln()).abs() / u.ln().abs().max(1.0));
        let (s, c) = f64::sincos_2pi(u);
        let a = std::f64::consts::TAU * u;
        worst.1 = worst.1.max((s - a.sin()).abs());
        worst.2 = worst.2.max((c - a.cos()).abs());
        let uf = u as f32;
        if uf > 0.0 && uf.is_normal() {
            worst.3 = worst
                .3
                .max((f32::ln_unit(uf) - uf.ln()).abs() / uf.ln().abs().max(1.0));
            let (s, c) = f32::sincos_2pi(uf);
            let a = std::f64::consts::TAU * uf as f64;
            worst.4 = worst
                .4
                .max((s as f64 - a.sin()).abs().max((c as f64 - a.cos()).abs()) as f32);
        }
    }
    assert!(worst.0 < 2e-15, "ln f64 {:e}", worst.0);
    assert!(worst.1 < 2e-15 && worst.2 < 2e-15, "sincos f64 {worst:?}");
    assert!(worst.3 < 3e-7, "ln f32 {:e}", worst.3);
    assert!(worst.4 < 3e-7, "sincos f32 {:e}", worst.4);
}

#[test]
fn box_muller_equals_std_formula() {
    for (a, b) in [(0.3, 0.7), (1.0, 0.25), (1e-10, 0.999), (0.5, 1.0)] {
        let (z0, z1) = box_muller::<f64>(a, b);
        let r = (-2.0 * a.ln()).sqrt();
        let t = std::f64::consts::TAU * b;
        assert!((z0 - r * t.cos()).abs() < 1e-13 && (z1 - r * t.sin()).abs() < 1e-13);
    }
}

/// Mean, variance and a tail probability of many normals, with bounds of
/// 5 standard errors; plus near-zero lag correlation across steps.
fn check_normals<T: NoiseFloat>() {
    let n = 40_000u64;
    let (mut s1, mut s2, mut tail, mut lag) = (0.0, 0.0, 0u64, 0.0);
    let mut buf = [T::zero(); 3];
    let mut nxt = [T::zero(); 3];
    for t in 0..n {
        normals_for(42, t, 5, rng::STREAM_NOISE, &mut buf);
        normals_for(42, t, 6, rng::STREAM_NOISE, &mut nxt);
        for (v, w) in buf.iter().zip(&nxt) {
            let (v, w) = (v.re(), w.re());
            s1 += v;
            s2 += v * v;
            lag += v * w;
            if v.abs() > 1.96 {
                tail += 1;
            }
        }
    }
    let m = (3 * n) as f64;
    let mean = s1 / m;
    let var = s2 / m - mean * mean;
    assert!(mean.abs() < 5.0 / m.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * (2.0 / m).sqrt(), "var {var}");
    let p = tail as f64 / m;
    assert!(
        (p - 0.05).abs() < 5.0 * (0.05 * 0.95 / m).sqrt(),
        "tail {p}"
    );
    assert!((lag / m).abs() < 5.0 / m.sqrt(), "lag corr {}", lag / m);
}

#[test]
fn normals_have_standard_moments_f64() {
    check_normals::<f64>();
}

#[test]
fn normals_have_standard_moments_f32() {
    check_normals::<f32>();
}

/// The engine's batched noise pass equals the scalar reference mapping for
/// every state dimension (whole and partly used blocks), over consecutive
/// steps with one scratch (blocks shared by two steps are reused) and from a
/// fresh scratch at every step (they are recomputed), for a chunk inside
/// and one across a 2^32 trajectory boundary.
fn batched_equals_scalar<T: NoiseFloat>() {
    use stackel_runtime::engine::{fill_normals, NoiseWords};
    let (count, seed) = (37usize, 0xabcdef);
    // the second chunk crosses trajectory 2^32 (the counter's high word changes)
    for (first, n) in [0x1_0000_0005u64, 0xffff_fff0]
        .into_iter()
        .flat_map(|f| (1..=9usize).map(move |n| (f, n)))
    {
        let rows = n.div_ceil(2) * 2;
        let mut kept = NoiseWords::new(count);
        for step in 11..16u32 {
            let mut z = vec![T::zero(); rows * count];
            let mut fresh_z = vec![T::zero(); rows * count];
            let key = rng::seed_key(seed);
            fill_normals(key, step, first, count, n, &mut kept, &mut z);
            let mut fresh = NoiseWords::new(count);
            fill_normals(key, step, first, count, n, &mut fresh, &mut fresh_z);
            assert_eq!(z, fresh_z, "n {n} step {step}");
            let mut want = vec![T::zero(); n];
            for j in 0..count {
                normals_for(seed, first + j as u64, step, rng::STREAM_NOISE, &mut want);
                for i in 0..n {
                    assert_eq!(z[i * count + j], want[i], "n {n} trajectory {j} normal {i}");
                }
            }
        }
        // another chunk or key through the same scratch is not served stale words
        let mut z = vec![T::zero(); rows * count];
        fill_normals(
            rng::seed_key(seed + 1),
            15,
            first,
            count,
            n,
            &mut kept,
            &mut z,
        );
        let mut want = vec![T::zero(); n];
        normals_for(seed + 1, first, 15, rng::STREAM_NOISE, &mut want);
        assert_eq!(z[0], want[0]);
    }
}

#[test]
fn batched_noise_pass_equals_scalar_reference() {
    batched_equals_scalar::<f64>();
    batched_equals_scalar::<f32>();
}

/// The engine's integer quadrant reduction gives exactly the documented
/// float one, at the quadrant boundaries (ties of round(4u)) and elsewhere.
#[test]
fn integer_quadrant_reduction_equals_the_float_one() {
    let mut m64: Vec<u64> = vec![1, 2, 3, 1 << 53, (1 << 53) - 1];
    for k in 0..=4u64 {
        for d in [-2i64, -1, 0, 1, 2] {
            let c = ((k << 51) as i64 + d).clamp(1, 1 << 53) as u64;
            let h = ((k << 51) as i64 + (1 << 50) + d).clamp(1, 1 << 53) as u64;
            m64.extend([c, h]);
        }
    }
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        m64.push((x >> 11) + 1);
    }
    for m in m64 {
        let want = f64::sincos_2pi(f64::uniform_of(m));
        assert_eq!(f64::sincos_2pi_of(m), want, "f64 numerator {m}");
    }
    // f32: every 7th numerator, plus the boundaries
    let edges = (0..=4u32).flat_map(|k| {
        [-1i64, 0, 1]
            .into_iter()
            .flat_map(move |d| [(k << 22) as i64 + d, (k << 22) as i64 + (1 << 21) + d])
    });
    for m in (1..=1u32 << 24).step_by(7).chain(
        edges
            .filter(|m| (1..=1 << 24).contains(m))
            .map(|m| m as u32),
    ) {
        let want = f32::sincos_2pi(f32::uniform_of(m));
        assert_eq!(f32::sincos_2pi_of(m), want, "f32 numerator {m}");
    }
}
