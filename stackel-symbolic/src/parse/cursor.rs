//! A cursor over one level of token trees, with the error helpers every
//! parsing function uses.

use super::PResult;
use proc_macro2::{Delimiter, Group, Ident, Span, TokenTree};

/// A position in one level of token trees (the inside of one group).
pub(super) struct Cursor<'a> {
    pub(super) trees: &'a [TokenTree],
    pub(super) pos: usize,
    /// Where to point errors about a missing token at the end.
    pub(super) end: Span,
    /// How to describe the end in errors, e.g. "`)`".
    pub(super) end_desc: &'static str,
    /// Expression nesting at this point (see [`MAX_NESTING`](super::expr::MAX_NESTING)).
    pub(super) depth: u32,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(trees: &'a [TokenTree], end: Span, end_desc: &'static str) -> Self {
        Cursor {
            trees,
            pos: 0,
            end,
            end_desc,
            depth: 0,
        }
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.trees.len()
    }

    pub(super) fn peek(&self) -> Option<&'a TokenTree> {
        self.trees.get(self.pos)
    }

    pub(super) fn peek_at(&self, ahead: usize) -> Option<&'a TokenTree> {
        self.trees.get(self.pos + ahead)
    }

    pub(super) fn bump(&mut self) -> Option<&'a TokenTree> {
        let t = self.trees.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// Span of the next token, or of the end.
    pub(super) fn span(&self) -> Span {
        self.peek().map_or(self.end, TokenTree::span)
    }

    /// How the next token reads in an error message.
    pub(super) fn found(&self) -> String {
        match self.peek() {
            None => self.end_desc.to_string(),
            Some(t) => describe(t),
        }
    }

    /// An error at the next token: "expected X, found Y".
    pub(super) fn expected<T>(&self, what: &str) -> PResult<T> {
        Err((
            self.span(),
            format!("expected {what}, found {}", self.found()),
        ))
    }

    pub(super) fn is_punct(&self, ch: char) -> bool {
        matches!(self.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ch)
    }

    pub(super) fn is_punct_at(&self, ahead: usize, ch: char) -> bool {
        matches!(self.peek_at(ahead), Some(TokenTree::Punct(p)) if p.as_char() == ch)
    }

    pub(super) fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Some(TokenTree::Ident(i)) if i == name)
    }

    pub(super) fn group_at(&self, ahead: usize, delim: Delimiter) -> Option<&'a Group> {
        match self.peek_at(ahead) {
            Some(TokenTree::Group(g)) if g.delimiter() == delim => Some(g),
            _ => None,
        }
    }

    /// Consumes `ch` if it is next; returns its span.
    pub(super) fn eat_punct(&mut self, ch: char) -> Option<Span> {
        if self.is_punct(ch) {
            self.bump().map(TokenTree::span)
        } else {
            None
        }
    }

    pub(super) fn expect_punct(&mut self, ch: char, what: &str) -> PResult<Span> {
        match self.eat_punct(ch) {
            Some(span) => Ok(span),
            None => self.expected(what),
        }
    }

    /// A name (an identifier that is not a statement's `;`).
    pub(super) fn expect_ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek() {
            Some(TokenTree::Ident(i)) => {
                self.pos += 1;
                Ok(i.clone())
            }
            _ => self.expected(what),
        }
    }

    /// After an error: skips up to and including the next `;` (or to the end).
    pub(super) fn skip_statement(&mut self) {
        while let Some(t) = self.bump() {
            if matches!(t, TokenTree::Punct(p) if p.as_char() == ';') {
                break;
            }
        }
    }

    /// The `;` ending a statement whose last part was an expression.
    pub(super) fn expect_statement_end(&mut self) -> PResult<()> {
        if self.eat_punct(';').is_some() {
            Ok(())
        } else {
            self.expected("an operator (`+ - * / ^`) or `;` ending the statement")
        }
    }
}

/// A token as it reads in an error message.
pub(super) fn describe(t: &TokenTree) -> String {
    match t {
        TokenTree::Group(g) => match g.delimiter() {
            Delimiter::Parenthesis => "`(`".into(),
            Delimiter::Bracket => "`[`".into(),
            Delimiter::Brace => "`{`".into(),
            Delimiter::None => format!("`{}`", g.stream()),
        },
        other => format!("`{other}`"),
    }
}

/// Joins two spans where the compiler allows it, else keeps the first.
pub(super) fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

/// The comma-separated items inside a group (a trailing comma is allowed).
pub(super) fn parse_comma_list<T>(
    g: &Group,
    depth: u32,
    close: &'static str,
    mut item: impl FnMut(&mut Cursor) -> PResult<T>,
) -> PResult<Vec<T>> {
    let trees: Vec<TokenTree> = g.stream().into_iter().collect();
    let mut c = Cursor::new(&trees, g.span_close(), close);
    c.depth = depth;
    let mut out = Vec::new();
    while !c.at_end() {
        out.push(item(&mut c)?);
        if c.at_end() {
            break;
        }
        c.expect_punct(',', &format!("`,` or {close}"))?;
    }
    Ok(out)
}
