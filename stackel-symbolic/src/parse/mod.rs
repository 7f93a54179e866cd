//! Parsing a `stackel_game!` body into the [`ast`](crate::ast).
//!
//! A small hand-written parser over the token trees (syn only reads the
//! literals), because the DSL's `^` is power (tighter than `*`, `/` and unary
//! minus, right-associative), unlike Rust's XOR. Precedence, loosest first:
//!
//! | level | operators | associativity |
//! |---|---|---|
//! | additive | `a + b`, `a - b` | left |
//! | multiplicative | `a * b`, `a / b` | left |
//! | unary | `-a` | prefix |
//! | power | `a ^ b` (the exponent may itself start with `-`) | right |
//! | primary | numbers, names, `x[i, j]`, `f(a, b)`, `(e)`, `sum(..) term` | |
//!
//! A `sum(i in a..b) body` is a primary whose body is one multiplicative
//! term: it extends over `*`, `/` and `^` and stops at a binary `+`/`-`;
//! `mean(..)`, `max(..)` and `min(..)` reductions read the same way (`max`
//! and `min` are reductions when a binder `NAME in` opens their
//! parentheses, the two-argument functions otherwise). A tensor let
//! declares its indices as binders: `let h[b in 0..B, j in 0..H] = ..;`.
//!
//! A statement that fails to parse is reported and skipped up to its `;`, so
//! every malformed statement of a game is reported in one build, together
//! with the checker's errors in the statements that did parse.
//!
//! Files: `cursor` (a position in one level of token trees), `items`
//! (statements: declarations, costs, literals), `expr` (expressions by
//! precedence level); this file holds the entry points and the game header.

mod cursor;
mod expr;
mod items;

use crate::ast::{Expr, GameAst, Skipped};
use crate::Errors;
use cursor::Cursor;
use expr::parse_expr;
use items::parse_item;
use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

/// One parse error: where, and what is wrong.
type PResult<T> = Result<T, (Span, String)>;

/// The statement keywords, for error messages.
const STATEMENTS: &str =
    "`const`, `param`, `leader`, `follower`, `data`, `let`, `cost` or `budget`";

/// Parses a `stackel_game!` body: `#[attrs] vis game Name { statements }`.
///
/// On syntax errors, the statements that did parse are still checked (see
/// [`Skipped`]) so that one build reports every error of the game.
pub fn parse_game(tokens: TokenStream) -> Result<GameAst, Errors> {
    let (attrs, vis, name, body) =
        parse_header(tokens).map_err(|(span, msg)| Errors::at(span, msg))?;
    let trees: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut c = Cursor::new(&trees, body.span_close(), "`}`");
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Errors::new();
    while !c.at_end() {
        let start = c.pos;
        match parse_item(&mut c) {
            Ok(item) => items.push(item),
            Err((span, msg)) => {
                errors.push(span, msg);
                c.skip_statement();
                skipped.push(Skipped {
                    names: declared_names(&trees[start..c.pos]),
                });
            }
        }
    }
    let ast = GameAst {
        attrs,
        vis,
        name,
        items,
        skipped,
    };
    if errors.is_empty() {
        return Ok(ast);
    }
    if let Err(more) = crate::check::check_game(&ast) {
        errors.extend(more);
    }
    Err(errors)
}

/// The names a skipped statement may have declared: every identifier after
/// a declaration keyword, and the second token of a statement starting with
/// an unknown keyword.
fn declared_names(statement: &[TokenTree]) -> Vec<Ident> {
    const DECLARING: [&str; 6] = ["const", "param", "leader", "follower", "data", "let"];
    const STATEMENT: [&str; 8] = [
        "const", "param", "leader", "follower", "data", "let", "cost", "budget",
    ];
    let mut names = Vec::new();
    for (at, pair) in statement.windows(2).enumerate() {
        if let [TokenTree::Ident(kw), TokenTree::Ident(name)] = pair {
            let kw = kw.to_string();
            let unknown_first = at == 0 && !STATEMENT.contains(&kw.as_str());
            if DECLARING.contains(&kw.as_str()) || unknown_first {
                names.push(name.clone());
            }
        }
    }
    // A player's parts: `NAME:` or `NAME,` inside a braced group.
    let player =
        matches!(statement.first(), Some(TokenTree::Ident(k)) if k == "leader" || k == "follower");
    for t in statement.iter().filter(|_| player) {
        if let TokenTree::Group(g) = t {
            if g.delimiter() == proc_macro2::Delimiter::Brace {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                for (at, t) in inner.iter().enumerate() {
                    let starts = at == 0
                        || matches!(&inner[at - 1], TokenTree::Punct(p) if p.as_char() == ',');
                    if let (true, TokenTree::Ident(id)) = (starts, t) {
                        names.push(id.clone());
                    }
                }
            }
        }
    }
    names
}

/// Parses one standalone DSL expression (all of `tokens`), e.g. for tests
/// and tools: `-x^2 + sum(i in 0..3) y[i]`.
pub fn parse_expression(tokens: TokenStream) -> Result<Expr, Errors> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut c = Cursor::new(&trees, Span::call_site(), "the end of the expression");
    let whole = |c: &mut Cursor| {
        let e = parse_expr(c)?;
        if !c.at_end() {
            return c.expected("an operator (`+ - * / ^`) or the end of the expression");
        }
        Ok(e)
    };
    whole(&mut c).map_err(|(span, msg)| Errors::at(span, msg))
}

/// `#[attrs] vis game Name { .. }` -> (attrs, vis, name, body group).
///
/// Walks the top-level tokens only (attributes and the body are kept as
/// groups), so that deeply nested input costs no recursion here.
fn parse_header(tokens: TokenStream) -> PResult<(TokenStream, TokenStream, Ident, Group)> {
    const SHAPE: &str = "a game: `pub game Name { leader ..; follower ..; cost ..; }`";
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut c = Cursor::new(&trees, Span::call_site(), "the end of the macro input");
    let mut attrs = TokenStream::new();
    while c.is_punct('#') {
        let pound = c.bump().cloned();
        let Some(g) = c.group_at(0, Delimiter::Bracket) else {
            return c.expected(
                "`[` starting an attribute `#[..]` (inner attributes `#![..]` are not allowed)",
            );
        };
        c.bump();
        attrs.extend(pound);
        attrs.extend([TokenTree::Group(g.clone())]);
    }
    let mut vis = TokenStream::new();
    if c.is_ident("pub") {
        vis.extend(c.bump().cloned());
        if let Some(g) = c.group_at(0, Delimiter::Parenthesis) {
            c.bump();
            vis.extend([TokenTree::Group(g.clone())]);
        }
    }
    if !c.is_ident("game") {
        return c.expected(SHAPE);
    }
    c.bump();
    let name = c.expect_ident("the game's name (`game Name { .. }`)")?;
    if let Some(msg) = crate::check::rust_keyword(&name.to_string()) {
        return Err((name.span(), msg));
    }
    let Some(body) = c.group_at(0, Delimiter::Brace) else {
        return c.expected(&format!("`{{` starting the body of game `{name}`"));
    };
    c.bump();
    if !c.at_end() {
        return Err((
            c.span(),
            "unexpected tokens after the game's body; write one game per `stackel_game!`".into(),
        ));
    }
    Ok((attrs, vis, name, body.clone()))
}
