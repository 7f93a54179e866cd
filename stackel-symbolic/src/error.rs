//! Compile errors with spans. Several errors in one game are collected and
//! reported together (like `syn::Error::combine`).

use proc_macro2::{Span, TokenStream};

/// One or more spanned compile errors.
#[derive(Debug, Clone)]
pub struct Errors(Vec<(Span, String)>);

impl Errors {
    /// No errors yet (an accumulator).
    pub fn new() -> Self {
        Errors(Vec::new())
    }
    /// A single error at `span`.
    pub fn at(span: Span, message: impl Into<String>) -> Self {
        Errors(vec![(span, message.into())])
    }
    /// Adds an error at `span`.
    pub fn push(&mut self, span: Span, message: impl Into<String>) {
        self.0.push((span, message.into()));
    }
    /// Moves all of `other`'s errors into `self`.
    pub fn extend(&mut self, other: Errors) {
        self.0.extend(other.0);
    }
    /// True when no error was pushed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Every error with its span, in order.
    pub fn iter(&self) -> impl Iterator<Item = &(Span, String)> {
        self.0.iter()
    }
    /// The messages, in order (for tests).
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(|(_, m)| m.clone()).collect()
    }
    /// `Ok(())` if empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), Errors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
    /// One `compile_error!` per error, each at its span.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0
            .iter()
            .map(|(span, msg)| syn::Error::new(*span, msg).to_compile_error())
            .collect()
    }
}

impl Default for Errors {
    fn default() -> Self {
        Self::new()
    }
}

impl From<syn::Error> for Errors {
    fn from(e: syn::Error) -> Self {
        Errors(e.into_iter().map(|e| (e.span(), e.to_string())).collect())
    }
}

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (_, m)) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {m}")?;
        }
        Ok(())
    }
}
