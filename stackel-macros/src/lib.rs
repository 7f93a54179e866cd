use proc_macro::TokenStream;
#[proc_macro]
pub fn stackel_game(input: TokenStream) -> TokenStream {
    input
}
