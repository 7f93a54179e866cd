//! The game's `#[stackel(..)]` options (serde's `#[serde(crate = "..")]`
//! pattern), parsed once before anything is lowered.

use crate::error::Errors;
use proc_macro2::TokenStream;
use quote::quote;

/// The game's `#[stackel(..)]` options, and its other attributes (passed on
/// to the struct).
pub struct Options {
    /// The path of the runtime crate: `::stackel` unless
    /// `#[stackel(crate = path)]` (or `crate = "path"`) says otherwise.
    pub krate: syn::Path,
    /// Every attribute but `#[stackel(..)]`.
    pub attrs: TokenStream,
    /// `#[stackel(form = "loops")]` / `form = "unrolled"`: the code form
    /// forced; `None` lets the size rule choose ([`crate::choose_form`]).
    pub form: Option<Form>,
}

/// The code form of a generated game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Every sum unrolled into straight-line code (small games).
    Unrolled,
    /// Loops over symbolic indices, operators generated directly (large games).
    Loops,
    /// Lets kept as arrays, reverse mode over them (networks, minibatch data).
    Tape,
}

impl Options {
    /// Splits `attrs` into the `#[stackel(..)]` options and the rest; an
    /// unknown option, a malformed path or a repeated `crate` is an error at
    /// its span.
    pub fn of(attrs: &TokenStream) -> Result<Options, Errors> {
        let parsed = syn::parse::Parser::parse2(syn::Attribute::parse_outer, attrs.clone())?;
        let mut krate: Option<syn::Path> = None;
        let mut form: Option<Form> = None;
        let mut rest = TokenStream::new();
        let mut errors = Errors::new();
        for a in parsed {
            if !a.path().is_ident("stackel") {
                rest.extend(quote!(#a));
                continue;
            }
            let r = a.parse_nested_meta(|m| {
                if m.path.is_ident("form") {
                    let v: syn::LitStr = m.value()?.parse()?;
                    let f = match v.value().as_str() {
                        "loops" => Form::Loops,
                        "unrolled" => Form::Unrolled,
                        "tape" => Form::Tape,
                        _ => {
                            return Err(syn::Error::new_spanned(
                                &v,
                                "unknown form; use `form = \"loops\"`, `form = \"unrolled\"` or `form = \"tape\"`",
                            ))
                        }
                    };
                    if form.is_some() {
                        return Err(syn::Error::new_spanned(&v, "`form` given twice"));
                    }
                    form = Some(f);
                    return Ok(());
                }
                if !m.path.is_ident("crate") {
                    return Err(m.error(
                        "unknown stackel option; the options are `crate = path` (the path of the stackel runtime crate) and `form = \"loops\"` / `form = \"unrolled\"` / `form = \"tape\"`",
                    ));
                }
                let v = m.value()?;
                let path = if v.peek(syn::LitStr) {
                    v.parse::<syn::LitStr>()?.parse::<syn::Path>()?
                } else {
                    v.parse::<syn::Path>()?
                };
                if krate.is_some() {
                    return Err(syn::Error::new_spanned(&path, "`crate` given twice"));
                }
                krate = Some(path);
                Ok(())
            });
            if let Err(e) = r {
                errors.extend(e.into());
            }
        }
        errors.into_result()?;
        Ok(Options {
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::stackel)),
            attrs: rest,
            form,
        })
    }
}

/// Derives the user already asked for, so ours do not collide.
pub(super) fn user_derives(attrs: &TokenStream) -> Vec<String> {
    let Ok(attrs) = syn::parse::Parser::parse2(syn::Attribute::parse_outer, attrs.clone()) else {
        return vec![];
    };
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            if let Some(last) = m.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    out
}
