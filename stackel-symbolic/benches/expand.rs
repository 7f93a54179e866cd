//! Compile time of the whole `stackel_game!` pipeline (parse, check, DAG,
//! derivatives, simplification, CSE, Rust and WGSL emission) for the paper's
//! covariance game at M = 3, 5, 9.
//!
//! `cargo bench -p stackel-symbolic --bench expand -- --warm-up-time 1 --measurement-time 2`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use quote::quote;

/// The covariance game (paper 4.3, example 1) with M x M players.
pub fn covariance(m: usize) -> proc_macro2::TokenStream {
    covariance_in(m, None)
}

/// The covariance game at size `m`, in the code form `form` (`"unrolled"` or
/// `"loops"`) or, with `None`, the form the compiler picks by size.
pub fn covariance_in(m: usize, form: Option<&str>) -> proc_macro2::TokenStream {
    let m = proc_macro2::Literal::usize_unsuffixed(m);
    let attr = form.map(|f| quote!(#[stackel(form = #f)]));
    quote! {
        #attr
        pub game Covariance {
            const M = #m;
            param sigma: [M, M];
            param eta = 0.6;
            leader v: [M, M];
            follower w: [M, M];
            let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
            cost v = f;
            cost w = -f + eta / 2.0 * sum(i in 0..M, j in 0..M) w[i, j]^2;
        }
    }
}

fn expand(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_covariance");
    group.sample_size(10);
    for m in [3, 5, 9] {
        let tokens = covariance(m);
        group.bench_with_input(BenchmarkId::from_parameter(m), &tokens, |b, t| {
            b.iter(|| stackel_symbolic::compile(t.clone()).expect("compiles"))
        });
    }
    group.finish();
}

criterion_group!(benches, expand);
criterion_main!(benches);
