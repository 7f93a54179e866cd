//! (being written)

/// Emits the game's Rust code (being written by the back end).
pub fn generate(
    _model: &crate::model::GameModel,
) -> Result<proc_macro2::TokenStream, crate::Errors> {
    Err(crate::Errors::at(
        proc_macro2::Span::call_site(),
        "emitter not written yet",
    ))
}
