//! Rust emission: the game struct, its `Default`, and an
//! `impl ::stackel::Game` whose every method is allocation-free straight-line
//! code generic over `T: ::stackel::Real`, built from the lowered bundle
//! ([`Lowered`]); the formulas and the WGSL module, made by their own
//! emitters, come in as data.
//!
//! The impl sits in `const _: () = { use ::stackel as __stackel; .. };` and
//! names everything through `__stackel`, so `#[stackel(crate = path)]` on the
//! game (serde's `#[serde(crate = "..")]` pattern) points it at another path
//! to the runtime, e.g. `stackel_runtime` for code that depends on the
//! runtime but not on the facade crate.
//!
//! Files: `options` (the `#[stackel(..)]` options), `items` (what depends on
//! the model alone: struct, `Default`, `info`, params), `methods` (the
//! methods that run programs), `code` (one program as Rust statements),
//! `inline` (the inline policy), `staggered` (the staggered-hierarchy
//! blocks of a game with `follower z after y;`).

mod code;
mod inline;
mod items;
pub mod loops;
mod methods;
mod options;
mod source;
mod staggered;
pub mod tape;
#[cfg(test)]
mod tests;

pub use inline::INLINE_ALWAYS_MAX;
pub use options::{Form, Options};

use crate::formula::BlockFormulas;
use crate::lower::Lowered;
use crate::model::GameModel;
use code::lit;
use methods::MethodCx;
use proc_macro2::TokenStream;
use quote::quote;

/// All tokens of the game: the struct (with `options`' attributes) and the
/// `Game` impl running `lowered`'s programs, returning `formulas` and `wgsl`.
pub fn emit(
    model: &GameModel,
    options: &Options,
    lowered: &Lowered,
    formulas: &[BlockFormulas],
    wgsl: &str,
) -> TokenStream {
    let field = &lowered.field;
    let places = items::param_places(model);
    let cx = MethodCx {
        places: &places,
        n: lit(field.d1 + field.d2),
        d2: lit(field.d2),
    };
    let info = items::info_method(model, lowered.derivatives.zero_sum, false);
    let params = items::params_methods(model);
    let costs = methods::cost_methods(&cx, lowered);
    let field_methods = methods::field_methods(&cx, lowered);
    let blocks = methods::block_methods(&cx, lowered);
    let data = methods::data_methods(formulas, wgsl);
    let costs_data = crate::cost::compiled_costs_method(model, Form::Unrolled, Some(lowered));
    let staggered = staggered::staggered_methods(model, &places, lowered.staggered.as_ref());
    items::game_impl(
        model,
        options,
        [field.d1, field.d2, field.np, 0],
        quote! {
            #info
            #params
            #costs
            #field_methods
            #blocks
            #staggered
            #data
            #costs_data
        },
    )
}
