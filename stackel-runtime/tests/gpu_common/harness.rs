//! The GPU tests' harness (libtest-mimic; the test targets set `harness =
//! false`): the same command line and output as libtest, but a test that
//! needs a GPU adapter cannot pass silently when there is none:
//!
//! - with `STACKEL_REQUIRE_GPU=1` (set by CI, which has lavapipe) a missing
//!   adapter fails every GPU test;
//! - without it, each GPU test is reported as `ignored (no GPU adapter: ...)`
//!   and counted in the summary's "ignored", not its "passed".
//!
//! Any other engine error (a device refused, a kernel that does not compile)
//! fails the test.
#![allow(dead_code)]

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use stackel_runtime::gpu::{self, GpuEngine, GpuError};

/// The variable that turns a missing adapter into a failure.
pub const REQUIRE_GPU: &str = "STACKEL_REQUIRE_GPU";

/// Whether `STACKEL_REQUIRE_GPU` is set to something other than "" or "0".
pub fn gpu_required() -> bool {
    std::env::var(REQUIRE_GPU).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The shared engine, `Ok(None)` when no adapter exists at all, `Err` for
/// any other failure to start it.
fn adapter() -> Result<Option<&'static GpuEngine>, Failed> {
    match gpu::shared() {
        Ok(e) => Ok(Some(e)),
        Err(GpuError::NoAdapter(why)) => {
            if gpu_required() {
                Err(format!("{REQUIRE_GPU}=1 but there is no GPU adapter: {why}").into())
            } else {
                Ok(None)
            }
        }
        Err(e) => Err(format!("GPU engine failed: {e}").into()),
    }
}

/// A test that runs `f` on the shared GPU engine (see the module doc for
/// what happens without an adapter).
pub fn gpu(name: &str, f: fn(&'static GpuEngine)) -> Trial {
    Trial::ignorable_test(name, move || match adapter()? {
        Some(e) => {
            static SHOWN: std::sync::Once = std::sync::Once::new();
            SHOWN.call_once(|| eprintln!("GPU adapter: {}", e.description()));
            f(e);
            Ok(Completion::Completed)
        }
        None => Ok(Completion::ignored_with(format!(
            "no GPU adapter; set {REQUIRE_GPU}=1 to fail instead"
        ))),
    })
}

/// A test that needs no adapter (or makes its own).
pub fn plain(name: &str, f: fn()) -> Trial {
    Trial::test(name, move || {
        f();
        Ok(())
    })
}

/// Runs `trials` with libtest's command line (filters, `--ignored`,
/// `--exact`, `--test-threads`, `--nocapture`, `--list`) and exits with its status.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// `gpu_tests![a, b]`: `harness::gpu("a", a)`, ... for functions taking the engine.
#[macro_export]
macro_rules! gpu_tests {
    ($($f:ident),* $(,)?) => {
        vec![$(harness::gpu(stringify!($f), $f)),*]
    };
}
