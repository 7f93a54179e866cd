//! rustc time of the code `stackel_game!` generates, for the paper's
//! covariance game at M = 3, 5, 9, 15, 25, 40 in each code form (unrolled and
//! loops, issue 13): the expansion is written into a scratch binary crate
//! (depending on the runtime under the name `stackel`, with every block and
//! operator method instantiated for `f64`), and `cargo build` of that crate
//! alone is timed in the dev and release profiles (dependencies prebuilt);
//! the release binary's size is reported too. A build over the timeout is
//! stopped and reported as such.
//!
//! `cargo bench -p stackel-symbolic --bench build_time` (takes minutes);
//! `STACKEL_BUILD_TIME_M=3,5` picks other sizes, `STACKEL_BUILD_TIME_FORMS=loops`
//! other forms, `STACKEL_BUILD_TIME_TIMEOUT=120` the per-build limit in
//! seconds (default 300), `STACKEL_BUILD_TIME_ONLY_EXPAND=1` reports the
//! expansion alone without building.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "expand.rs"]
#[allow(dead_code)]
mod expand;

/// Calls every block and operator method for `f64` from `main`, so rustc
/// generates (and keeps) their code.
const INSTANTIATE: &str = r#"
use stackel::{Game, StackelbergParts};
use std::hint::black_box;
pub fn every_block(g: &Covariance, x: &[f64], l: &[f64], o: &mut [f64]) -> f64 {
    let (d1, d2, n) = (Covariance::D1, Covariance::D2, Covariance::N);
    g.d1f1(x, o); g.d2f1(x, o); g.d2f2(x, o); g.omega(x, o);
    g.d11f1(x, o); g.d12f1(x, o); g.d22f1(x, o); g.d22f2(x, o); g.d21f2(x, o);
    g.d11phi(x, l, o); g.d12phi(x, l, o); g.d21phi(x, l, o); g.d22phi(x, l, o);
    g.d1p_f1(x, o); g.d2p_f1(x, o); g.d2p_f2(x, o); g.d1p_phi(x, l, o); g.d2p_phi(x, l, o);
    g.d22f2_mul(x, l, &mut o[..d2]); g.d22f2_tmul(x, l, &mut o[..d2]);
    g.d21f2_mul(x, &x[..d1], &mut o[..d2]); g.d21f2_tmul(x, l, &mut o[..d1]);
    g.f1_hvp(x, x, &mut o[..n]); g.phi_hvp(x, l, x, &mut o[..n]);
    let (a, rest) = o.split_at_mut(d1);
    let (b, rest) = rest.split_at_mut(d2);
    let (c, rest) = rest.split_at_mut(d2);
    let (d, e) = rest.split_at_mut(d2 * d2);
    g.stackelberg_parts(x, StackelbergParts { d1f1: a, d2f1: b, d2f2: c, d22f2: d, d21f2: e });
    g.leader_cost(x) + g.follower_cost(0, x)
}
fn main() {
    let g = Covariance { sigma: [[0.0; __M__]; __M__], eta: 0.6 };
    let n = Covariance::N;
    let x: Vec<f64> = (0..n).map(|k| black_box(0.01 * k as f64)).collect();
    let l = vec![black_box(0.5); Covariance::D2];
    let mut o = vec![0.0; n * n.max(Covariance::NP)];
    black_box(every_block(&g, &x, &l, &mut o));
    black_box(&o);
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

/// Seconds `cargo build` of `dir` takes, or `None` when it passes `timeout`
/// (the build is then stopped).
fn cargo_build(dir: &Path, target: &Path, release: bool, timeout: Duration) -> Option<f64> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("build")
        .arg("--quiet")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    if release {
        cmd.arg("--release");
    }
    let t = Instant::now();
    let mut child = cmd.spawn().expect("cargo runs");
    loop {
        if let Some(status) = child.try_wait().expect("cargo waits") {
            assert!(status.success(), "build of {} failed", dir.display());
            return Some(t.elapsed().as_secs_f64());
        }
        if t.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect()
}

fn main() {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stackel-runtime");
    let runtime = runtime.canonicalize().expect("runtime crate");
    let scratch = std::env::temp_dir().join("stackel-build-time");
    let target = scratch.join("target");
    let sizes: Vec<usize> = list("STACKEL_BUILD_TIME_M", "3,5,9,15,25,40")
        .iter()
        .map(|m| m.parse().expect("M list"))
        .collect();
    let forms = list("STACKEL_BUILD_TIME_FORMS", "unrolled,loops");
    let timeout = Duration::from_secs(
        std::env::var("STACKEL_BUILD_TIME_TIMEOUT").map_or(300, |v| v.parse().expect("seconds")),
    );
    let only_expand = std::env::var_os("STACKEL_BUILD_TIME_ONLY_EXPAND").is_some();
    let show = |t: Option<f64>| t.map_or(format!("> {}", timeout.as_secs()), |t| format!("{t:.2}"));
    println!("| M | form | expansion bytes | tokens | tokens->code s | rustc dev s | rustc release s | release binary MB |");
    println!("|---|---|---|---|---|---|---|---|");
    let dir = scratch.join("covariance");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"covariance\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nstackel = {{ package = \"stackel-runtime\", path = {:?} }}\n\n\
             [workspace]\n\n[profile.release]\ndebug = false\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    if !only_expand {
        // Build the dependencies first with a trivial crate body.
        std::fs::write(
            dir.join("src/main.rs"),
            "pub use stackel::Game;\nfn main() {}\n",
        )
        .unwrap();
        let long = Duration::from_secs(3600);
        cargo_build(&dir, &target, false, long);
        cargo_build(&dir, &target, true, long);
    }
    for m in sizes {
        for form in &forms {
            let t = Instant::now();
            let code = match stackel_symbolic::compile(expand::covariance_in(m, Some(form))) {
                Ok(code) => code,
                Err(e) => {
                    let msg = e.to_compile_errors().to_string();
                    let msg: String = msg.chars().take(120).collect();
                    println!("| {m} | {form} | compile error: {msg} | | | | | |");
                    continue;
                }
            };
            let compile_s = t.elapsed().as_secs_f64();
            let tokens = count_tokens(code.clone());
            let text = code.to_string();
            if only_expand {
                std::fs::write(scratch.join(format!("expansion{m}-{form}.rs")), &text).unwrap();
                println!(
                    "| {m} | {form} | {} | {tokens} | {compile_s:.3} | | | |",
                    text.len()
                );
                continue;
            }
            let instantiate = INSTANTIATE.replace("__M__", &m.to_string());
            std::fs::write(dir.join("src/main.rs"), format!("{text}\n{instantiate}")).unwrap();
            let dev = cargo_build(&dir, &target, false, timeout);
            let release = cargo_build(&dir, &target, true, timeout);
            let size = release
                .and_then(|_| std::fs::metadata(target.join("release/covariance")).ok())
                .map_or("-".to_string(), |md| {
                    format!("{:.2}", md.len() as f64 / 1e6)
                });
            println!(
                "| {m} | {form} | {} | {tokens} | {compile_s:.3} | {} | {} | {size} |",
                text.len(),
                show(dev),
                show(release)
            );
        }
    }
}
