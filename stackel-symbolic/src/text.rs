//! Games given as text at run time: the DSL exactly as written inside
//! `stackel_game! { .. }`, parsed and checked by the same front end as the
//! macro, with the same messages. Each error comes with its line, column and
//! the source line, rendered the way rustc renders the macro's:
//!
//! ```
//! let text = "game G {\n    leader x;\n    follower y;\n    cost x = x^2 + z;\n    cost y = (y - x)^2;\n}";
//! let err = stackel_symbolic::text::front_end_text("duopoly.stk", text).unwrap_err();
//! let d = &err.diagnostics[0];
//! assert_eq!((d.line, d.column), (4, 20));
//! assert!(d.message.contains("`z`"));
//! assert!(err.to_string().contains(" --> duopoly.stk:4:20"));
//! ```

use crate::error::Errors;
use crate::model::GameModel;
use proc_macro2::{Span, TokenStream};
use std::fmt;
use std::str::FromStr;

/// One error in a game's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong and what is allowed (the macro's message).
    pub message: String,
    /// Line of the first character (1-based).
    pub line: usize,
    /// Column of the first character (1-based, in characters).
    pub column: usize,
    /// Line of the last character (1-based).
    pub end_line: usize,
    /// Column just after the last character (1-based, in characters).
    pub end_column: usize,
}

/// The errors of a game's text, with what it takes to render them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DslError {
    /// The name the text is shown under (a file name).
    pub name: String,
    /// Every error, in source order of discovery.
    pub diagnostics: Vec<Diagnostic>,
    /// The text's lines (for rendering).
    lines: Vec<String>,
}

impl DslError {
    fn new(name: &str, text: &str, errors: impl IntoIterator<Item = (Span, String)>) -> Self {
        let diagnostics = errors
            .into_iter()
            .map(|(span, message)| {
                let (s, e) = (span.start(), span.end());
                Diagnostic {
                    message,
                    line: s.line.max(1),
                    column: s.column + 1,
                    end_line: e.line.max(s.line.max(1)),
                    end_column: e.column + 1,
                }
            })
            .collect();
        DslError {
            name: name.to_string(),
            diagnostics,
            lines: text.lines().map(str::to_string).collect(),
        }
    }
}

impl fmt::Display for DslError {
    /// rustc's layout: `error: message`, ` --> name:line:column`, the source
    /// line and a caret line under the span (to the end of the line when the
    /// span goes on).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, d) in self.diagnostics.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", d.message)?;
            writeln!(f, " --> {}:{}:{}", self.name, d.line, d.column)?;
            let Some(src) = self.lines.get(d.line - 1) else {
                continue;
            };
            let width = d.line.to_string().len();
            let chars = src.chars().count();
            let start = (d.column - 1).min(chars);
            let end = if d.end_line == d.line {
                (d.end_column - 1).clamp(start + 1, chars.max(start + 1))
            } else {
                chars.max(start + 1)
            };
            writeln!(f, "{:width$} |", "")?;
            writeln!(f, "{} | {src}", d.line)?;
            writeln!(
                f,
                "{:width$} | {}{}",
                "",
                " ".repeat(start),
                "^".repeat(end - start)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for DslError {}

/// Tokenizes `text` (named `name` in messages) and runs the front end on
/// it: the checked model, or every error with its place.
pub fn front_end_text(name: &str, text: &str) -> Result<GameModel, DslError> {
    let tokens = TokenStream::from_str(text).map_err(|e| {
        DslError::new(
            name,
            text,
            [(
                e.span(),
                format!("the text does not tokenize: {e} (check brackets, quotes and comments)"),
            )],
        )
    })?;
    crate::front_end(tokens).map_err(|e| from_errors(name, text, &e))
}

/// The errors of the compiler (front or back end) on `text` as a
/// [`DslError`].
pub fn from_errors(name: &str, text: &str, errors: &Errors) -> DslError {
    DslError::new(name, text, errors.iter().cloned())
}

/// The whole compiler on `text`: the generated Rust, or every front- and
/// back-end error with its place (what `stackel_game!` would report).
pub fn compile_text(name: &str, text: &str) -> Result<TokenStream, DslError> {
    let model = front_end_text(name, text)?;
    crate::back_end(&model).map_err(|e| from_errors(name, text, &e))
}
