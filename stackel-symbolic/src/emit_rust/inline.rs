//! The inline policy of the generated methods: `#[inline(always)]` for
//! small hot-path programs, the `#[inline]` hint for large ones.

use crate::ir::Program;
use proc_macro2::TokenStream;
use quote::quote;

/// Largest hot-path program (statements plus output entries) emitted
/// `#[inline(always)]`; larger ones get `#[inline]`.
///
/// The CPU engine's small-state kernel runs its trajectory loop inside
/// `#[target_feature]` functions (one per SIMD tier) and vectorises it
/// across trajectories only when the game's block code is inlined there.
/// LLVM's inliner declines a plain `#[inline]` callee at those call sites
/// (a hint only), which leaves one scalar call per trajectory and step: 3-7x
/// slower than a hand-written game whose tiny blocks it does inline. Forcing
/// it for small programs costs nothing in compile time; large games (the
/// covariance game at m = 9 has tens of thousands of instructions) keep the
/// hint so that their callers are not bloated.
pub const INLINE_ALWAYS_MAX: usize = 1024;

/// Whether `program` (statements plus output entries, [`Program::size`])
/// is at most [`INLINE_ALWAYS_MAX`].
pub(super) fn small_program(program: &Program) -> bool {
    program.size() <= INLINE_ALWAYS_MAX
}

/// `#[inline(always)]` when `always`, else `#[inline]`.
pub(super) fn inline_tokens(always: bool) -> TokenStream {
    if always {
        quote!(#[inline(always)])
    } else {
        quote!(#[inline])
    }
}

/// The inline attribute of a method running `program`.
pub(super) fn inline_attr(program: &Program) -> TokenStream {
    inline_tokens(small_program(program))
}
