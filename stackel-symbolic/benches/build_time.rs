//! rustc time of the code `stackel_game!` generates, for the paper's
//! covariance game at M = 3, 5, 9: the expansion is written into a scratch
//! crate (depending on the runtime under the name `stackel`, with every
//! block method instantiated for `f64`), and `cargo build` of that crate
//! alone is timed in the dev and release profiles (dependencies prebuilt).
//!
//! `cargo bench -p stackel-symbolic --bench build_time` (takes minutes);
//! `STACKEL_BUILD_TIME_M=3,5` picks other sizes, `STACKEL_BUILD_TIME_ONLY_EXPAND=1`
//! reports the expansion alone without building, and
//! `STACKEL_BUILD_TIME_FORM=loops` (or `unrolled`) forces the code form
//! (default: the compiler's size rule).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "expand.rs"]
#[allow(dead_code)]
mod expand;

/// Calls every block method for `f64`, so rustc generates their code.
const INSTANTIATE: &str = r#"
use stackel::{Game, StackelbergParts};
pub fn every_block(g: &Covariance, x: &[f64], l: &[f64], o: &mut [f64]) -> f64 {
    g.d1f1(x, o); g.d2f1(x, o); g.d2f2(x, o); g.omega(x, o);
    g.d11f1(x, o); g.d12f1(x, o); g.d22f1(x, o); g.d22f2(x, o); g.d21f2(x, o);
    g.d11phi(x, l, o); g.d12phi(x, l, o); g.d21phi(x, l, o); g.d22phi(x, l, o);
    g.d1p_f1(x, o); g.d2p_f1(x, o); g.d2p_f2(x, o); g.d1p_phi(x, l, o); g.d2p_phi(x, l, o);
    let (a, rest) = o.split_at_mut(1000);
    let (b, rest) = rest.split_at_mut(1000);
    let (c, rest) = rest.split_at_mut(1000);
    let (d, e) = rest.split_at_mut(10000);
    g.stackelberg_parts(x, StackelbergParts { d1f1: a, d2f1: b, d2f2: c, d22f2: d, d21f2: e });
    let (a, b) = o.split_at_mut(5000);
    g.d22f2_mul(x, l, a); g.d22f2_tmul(x, l, a); g.d21f2_mul(x, l, a); g.d21f2_tmul(x, l, a);
    g.f1_hvp(x, l, a); g.phi_hvp(x, l, b, a);
    g.leader_cost(x) + g.follower_cost(0, x)
}
"#;

/// Number of token trees, groups' contents included.
fn count_tokens(ts: proc_macro2::TokenStream) -> usize {
    ts.into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Group(g) => 1 + count_tokens(g.stream()),
            _ => 1,
        })
        .sum()
}

fn cargo_build(dir: &Path, target: &Path, release: bool) -> f64 {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("build")
        .arg("--quiet")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    if release {
        cmd.arg("--release");
    }
    let t = Instant::now();
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "build of {} failed", dir.display());
    t.elapsed().as_secs_f64()
}

fn main() {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stackel-runtime");
    let runtime = runtime.canonicalize().expect("runtime crate");
    let scratch = std::env::temp_dir().join("stackel-build-time");
    let target = scratch.join("target");
    let form = std::env::var("STACKEL_BUILD_TIME_FORM").ok();
    let attrs = match form.as_deref() {
        Some(f) => quote::quote!(#[stackel(form = #f)]),
        None => quote::quote!(),
    };
    println!("form: {}", form.as_deref().unwrap_or("size rule"));
    println!("M  expansion_bytes  tokens  tokens->code_s  rustc_dev_s  rustc_release_s");
    let sizes: Vec<usize> = std::env::var("STACKEL_BUILD_TIME_M")
        .map(|v| {
            v.split(',')
                .map(|m| m.trim().parse().expect("M list"))
                .collect()
        })
        .unwrap_or_else(|_| vec![3, 5, 9]);
    let only_expand = std::env::var_os("STACKEL_BUILD_TIME_ONLY_EXPAND").is_some();
    for m in sizes {
        let dir = scratch.join(format!("cov{m}"));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"cov{m}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nstackel = {{ package = \"stackel-runtime\", path = {:?} }}\n\n\
                 [workspace]\n",
                runtime.display().to_string()
            ),
        )
        .unwrap();
        let t = Instant::now();
        let code =
            stackel_symbolic::compile(expand::covariance_with(m, attrs.clone())).expect("compiles");
        let compile_s = t.elapsed().as_secs_f64();
        let tokens = count_tokens(code.clone());
        let text = code.to_string();
        if only_expand {
            std::fs::create_dir_all(&scratch).unwrap();
            std::fs::write(scratch.join(format!("expansion{m}.rs")), &text).unwrap();
            println!("{m}  {:>15}  {tokens:>6}  {compile_s:>14.3}", text.len());
            continue;
        }
        // Build the dependencies first with a trivial crate body.
        std::fs::write(dir.join("src/lib.rs"), "pub use stackel::Game;\n").unwrap();
        cargo_build(&dir, &target, false);
        cargo_build(&dir, &target, true);
        std::fs::write(dir.join("src/lib.rs"), format!("{text}\n{INSTANTIATE}")).unwrap();
        let dev = cargo_build(&dir, &target, false);
        let release = cargo_build(&dir, &target, true);
        println!(
            "{m}  {:>15}  {tokens:>6}  {compile_s:>14.3}  {dev:>11.2}  {release:>15.2}",
            text.len()
        );
    }
}
