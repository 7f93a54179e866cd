//! UI tests of bad `stackel_game!` input: each file in `tests/ui/` must fail
//! to compile with the spanned errors recorded next to it in `*.stderr`.
//! Regenerate with `TRYBUILD=overwrite cargo test --test compile_fail`, then
//! read every changed `.stderr`.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
