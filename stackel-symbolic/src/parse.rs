//! (being written)

/// Parses a `stackel_game!` body (being written by the front end).
pub fn parse_game(tokens: proc_macro2::TokenStream) -> Result<crate::ast::GameAst, crate::Errors> {
    Err(crate::Errors::at(
        proc_macro2::Span::call_site(),
        format!(
            "parser not written yet ({} tokens)",
            tokens.into_iter().count()
        ),
    ))
}
