//! The `stackel_game!` procedural macro: a thin shell that hands its tokens to
//! the `stackel-symbolic` compiler and returns the generated code or spanned
//! compile errors.
#![warn(missing_docs)]

use proc_macro::TokenStream;

/// Compiles a game written as math into a struct implementing `stackel::Game`
/// with exact, simplified derivative code for every block. See the `stackel`
/// crate docs for the DSL (`stackel::dsl`) and an example.
#[proc_macro]
pub fn stackel_game(input: TokenStream) -> TokenStream {
    stackel_symbolic::expand(input.into()).into()
}
