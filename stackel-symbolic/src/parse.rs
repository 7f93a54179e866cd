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
//! term: it extends over `*`, `/` and `^` and stops at a binary `+`/`-`.
//!
//! A statement that fails to parse is reported and skipped up to its `;`, so
//! every malformed statement of a game is reported in one build, together
//! with the checker's errors in the statements that did parse.

use crate::ast::{
    ArrayElem, ArrayLit, BinOp, Dims, Expr, ExprKind, GameAst, Item, Number, ParamDefault, Role,
    Skipped, SumBinder,
};
use crate::Errors;
use proc_macro2::{Delimiter, Group, Ident, Literal, Spacing, Span, TokenStream, TokenTree};

/// One parse error: where, and what is wrong.
type PResult<T> = Result<T, (Span, String)>;

/// The statement keywords, for error messages.
const STATEMENTS: &str = "`const`, `param`, `leader`, `follower`, `let`, `cost` or `budget`";

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
    const DECLARING: [&str; 5] = ["const", "param", "leader", "follower", "let"];
    const STATEMENT: [&str; 7] = [
        "const", "param", "leader", "follower", "let", "cost", "budget",
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

/// A position in one level of token trees (the inside of one group).
struct Cursor<'a> {
    trees: &'a [TokenTree],
    pos: usize,
    /// Where to point errors about a missing token at the end.
    end: Span,
    /// How to describe the end in errors, e.g. "`)`".
    end_desc: &'static str,
    /// Expression nesting at this point (see [`MAX_NESTING`]).
    depth: u32,
}

impl<'a> Cursor<'a> {
    fn new(trees: &'a [TokenTree], end: Span, end_desc: &'static str) -> Self {
        Cursor {
            trees,
            pos: 0,
            end,
            end_desc,
            depth: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.trees.len()
    }

    fn peek(&self) -> Option<&'a TokenTree> {
        self.trees.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&'a TokenTree> {
        self.trees.get(self.pos + ahead)
    }

    fn bump(&mut self) -> Option<&'a TokenTree> {
        let t = self.trees.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// Span of the next token, or of the end.
    fn span(&self) -> Span {
        self.peek().map_or(self.end, TokenTree::span)
    }

    /// How the next token reads in an error message.
    fn found(&self) -> String {
        match self.peek() {
            None => self.end_desc.to_string(),
            Some(t) => describe(t),
        }
    }

    /// An error at the next token: "expected X, found Y".
    fn expected<T>(&self, what: &str) -> PResult<T> {
        Err((
            self.span(),
            format!("expected {what}, found {}", self.found()),
        ))
    }

    fn is_punct(&self, ch: char) -> bool {
        matches!(self.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ch)
    }

    fn is_punct_at(&self, ahead: usize, ch: char) -> bool {
        matches!(self.peek_at(ahead), Some(TokenTree::Punct(p)) if p.as_char() == ch)
    }

    fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Some(TokenTree::Ident(i)) if i == name)
    }

    fn group_at(&self, ahead: usize, delim: Delimiter) -> Option<&'a Group> {
        match self.peek_at(ahead) {
            Some(TokenTree::Group(g)) if g.delimiter() == delim => Some(g),
            _ => None,
        }
    }

    /// Consumes `ch` if it is next; returns its span.
    fn eat_punct(&mut self, ch: char) -> Option<Span> {
        if self.is_punct(ch) {
            self.bump().map(TokenTree::span)
        } else {
            None
        }
    }

    fn expect_punct(&mut self, ch: char, what: &str) -> PResult<Span> {
        match self.eat_punct(ch) {
            Some(span) => Ok(span),
            None => self.expected(what),
        }
    }

    /// A name (an identifier that is not a statement's `;`).
    fn expect_ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek() {
            Some(TokenTree::Ident(i)) => {
                self.pos += 1;
                Ok(i.clone())
            }
            _ => self.expected(what),
        }
    }

    /// After an error: skips up to and including the next `;` (or to the end).
    fn skip_statement(&mut self) {
        while let Some(t) = self.bump() {
            if matches!(t, TokenTree::Punct(p) if p.as_char() == ';') {
                break;
            }
        }
    }

    /// The `;` ending a statement whose last part was an expression.
    fn expect_statement_end(&mut self) -> PResult<()> {
        if self.eat_punct(';').is_some() {
            Ok(())
        } else {
            self.expected("an operator (`+ - * / ^`) or `;` ending the statement")
        }
    }
}

/// A token as it reads in an error message.
fn describe(t: &TokenTree) -> String {
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
fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

fn parse_item(c: &mut Cursor) -> PResult<Item> {
    let keyword = match c.peek() {
        Some(TokenTree::Ident(i)) => i.clone(),
        _ => return c.expected(&format!("a statement: {STATEMENTS}")),
    };
    let kw = keyword.to_string();
    let kw_span = keyword.span();
    match kw.as_str() {
        "const" => {
            c.bump();
            let name = c.expect_ident("the const's name (`const M = 3;`)")?;
            c.expect_punct('=', "`=` and the const's integer value")?;
            let value = parse_expr(c)?;
            c.expect_statement_end()?;
            Ok(Item::Const { name, value })
        }
        "param" => {
            c.bump();
            let name = c.expect_ident("the param's name (`param a = 1.0;`)")?;
            let dims = if c.eat_punct(':').is_some() {
                Some(parse_dims(c, "the param's dimensions `[n]` or `[n, m]`")?)
            } else {
                None
            };
            let default = if c.eat_punct('=').is_some() {
                if let Some(g) = c.group_at(0, Delimiter::Bracket) {
                    c.bump();
                    Some(ParamDefault::Array(parse_array(g, 0)?))
                } else {
                    Some(ParamDefault::Scalar(parse_expr(c)?))
                }
            } else {
                None
            };
            if default.is_some() {
                c.expect_statement_end()?;
            } else if c.eat_punct(';').is_none() {
                let what = if dims.is_some() {
                    "`=` with a default, or `;`"
                } else {
                    "`:` with dimensions, `=` with a default, or `;`"
                };
                return c.expected(what);
            }
            Ok(Item::Param {
                name,
                dims,
                default,
            })
        }
        "leader" | "follower" => {
            c.bump();
            let role = if kw == "leader" {
                Role::Leader
            } else {
                Role::Follower
            };
            let name = c.expect_ident(&format!("the {kw}'s variable name (`{kw} x;`)"))?;
            let mut angle = None;
            let mut dims = None;
            if c.eat_punct(':').is_some() {
                if c.is_ident("angle") {
                    angle = c.bump().map(TokenTree::span);
                }
                if c.group_at(0, Delimiter::Bracket).is_some() {
                    dims = Some(parse_dims(c, "dimensions")?);
                } else if angle.is_none() {
                    return c.expected("a type after `:`: `[n]`, `[n, m]`, `angle` or `angle[n]`");
                }
            }
            if c.eat_punct(';').is_none() {
                return c.expected("`;` (or `: [n]`, `: [n, m]`, `: angle` before it)");
            }
            Ok(Item::Player {
                role,
                keyword: kw_span,
                name,
                angle,
                dims,
            })
        }
        "let" => {
            c.bump();
            let name = c.expect_ident("the let's name (`let name = expr;`)")?;
            c.expect_punct('=', "`=` and the let's expression")?;
            let value = parse_expr(c)?;
            c.expect_statement_end()?;
            Ok(Item::Let { name, value })
        }
        "cost" => {
            c.bump();
            let name = c.expect_ident("the player whose cost this is (`cost x = expr;`)")?;
            c.expect_punct('=', "`=` and the cost expression")?;
            let value = parse_expr(c)?;
            c.expect_statement_end()?;
            Ok(Item::Cost {
                keyword: kw_span,
                name,
                value,
            })
        }
        "budget" => {
            c.bump();
            c.expect_punct('=', "`=` and the node budget (`budget = 5000;`)")?;
            let value = parse_expr(c)?;
            c.expect_statement_end()?;
            Ok(Item::Budget {
                keyword: kw_span,
                value,
            })
        }
        _ => {
            let keywords = [
                "const", "param", "leader", "follower", "let", "cost", "budget",
            ];
            let hint = match crate::check::suggest(&kw, keywords.into_iter()) {
                Some(s) => format!("did you mean {s}? "),
                None => String::new(),
            };
            Err((
                kw_span,
                format!(
                    "unknown statement `{kw}`; {hint}a game's statements start with {STATEMENTS}"
                ),
            ))
        }
    }
}

/// `[n]` / `[n, m]` (the count is checked later).
fn parse_dims(c: &mut Cursor, what: &str) -> PResult<Dims> {
    let Some(g) = c.group_at(0, Delimiter::Bracket) else {
        return c.expected(what);
    };
    c.bump();
    let dims = parse_comma_list(g, c.depth, "`]`", parse_expr)?;
    if dims.is_empty() {
        return Err((
            g.span(),
            "empty dimension list; write `[n]` for a vector or `[n, m]` for a matrix".into(),
        ));
    }
    Ok(Dims {
        span: g.span(),
        dims,
    })
}

/// `[e, e]` or `[[e, e], [e, e]]`.
fn parse_array(g: &Group, depth: u32) -> PResult<ArrayLit> {
    if depth >= MAX_NESTING {
        return Err((g.span(), too_deep()));
    }
    let elems = parse_comma_list(g, depth, "`]`", |c| {
        if let Some(inner) = c.group_at(0, Delimiter::Bracket) {
            c.bump();
            Ok(ArrayElem::Array(parse_array(inner, depth + 1)?))
        } else {
            Ok(ArrayElem::Expr(parse_expr(c)?))
        }
    })?;
    Ok(ArrayLit {
        span: g.span(),
        elems,
    })
}

/// The comma-separated items inside a group (a trailing comma is allowed).
fn parse_comma_list<T>(
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

/// Deepest nesting of brackets, calls, sums, powers and minus signs in an
/// expression (bounds the parser's recursion).
const MAX_NESTING: u32 = 128;

/// Highest expression tree (bounds the recursion of every later pass; a
/// chain `a + b + c` is a tree as high as it is long).
const MAX_HEIGHT: u32 = 512;

fn too_deep() -> String {
    format!(
        "expression nested too deeply (more than {MAX_NESTING} levels); name parts of it with `let`"
    )
}

/// Errors on an expression tree higher than [`MAX_HEIGHT`].
fn check_height(e: Expr) -> PResult<Expr> {
    if e.height > MAX_HEIGHT {
        return Err((
            e.span,
            format!("expression too long (a tree more than {MAX_HEIGHT} operations high); name parts of it with `let`, or use `sum`"),
        ));
    }
    Ok(e)
}

/// An expression node; its height from its children's.
fn node(kind: ExprKind, span: Span) -> Expr {
    let child = |e: &Expr| e.height;
    let below = match &kind {
        ExprKind::Num(_) | ExprKind::Name(_) => 0,
        ExprKind::Index { indices: es, .. } | ExprKind::Call { args: es, .. } => {
            es.iter().map(child).max().unwrap_or(0)
        }
        ExprKind::Neg(a) => a.height,
        ExprKind::Binary { lhs, rhs, .. } => lhs.height.max(rhs.height),
        ExprKind::Sum { binders, body, .. } => binders
            .iter()
            .map(|b| b.lo.height.max(b.hi.height))
            .fold(body.height, u32::max),
    };
    Expr {
        kind,
        span,
        height: below + 1,
    }
}

/// A whole expression (additive level).
fn parse_expr(c: &mut Cursor) -> PResult<Expr> {
    let mut lhs = parse_term(c)?;
    loop {
        let op = if c.is_punct('+') {
            BinOp::Add
        } else if c.is_punct('-') {
            BinOp::Sub
        } else {
            return Ok(lhs);
        };
        let op_span = c.span();
        c.bump();
        let rhs = parse_term(c)?;
        lhs = check_height(binary(op, op_span, lhs, rhs))?;
    }
}

/// A multiplicative term: unary factors joined by `*` and `/`.
fn parse_term(c: &mut Cursor) -> PResult<Expr> {
    let mut lhs = parse_unary(c)?;
    loop {
        let op = if c.is_punct('*') {
            BinOp::Mul
        } else if c.is_punct('/') {
            BinOp::Div
        } else {
            return Ok(lhs);
        };
        let op_span = c.span();
        c.bump();
        let rhs = parse_unary(c)?;
        lhs = check_height(binary(op, op_span, lhs, rhs))?;
    }
}

/// `-a` (looser than `^`: `-x^2` is `-(x^2)`) or a power; one level of
/// nesting.
fn parse_unary(c: &mut Cursor) -> PResult<Expr> {
    if c.depth >= MAX_NESTING {
        return Err((c.span(), too_deep()));
    }
    c.depth += 1;
    let e = parse_unary_nested(c);
    c.depth -= 1;
    check_height(e?)
}

fn parse_unary_nested(c: &mut Cursor) -> PResult<Expr> {
    if let Some(minus) = c.eat_punct('-') {
        let inner = parse_unary(c)?;
        let span = join(minus, inner.span);
        return Ok(node(ExprKind::Neg(Box::new(inner)), span));
    }
    parse_power(c)
}

/// `base ^ exponent`, right-associative; the exponent may be negated.
fn parse_power(c: &mut Cursor) -> PResult<Expr> {
    let base = parse_primary(c)?;
    if c.is_punct('^') {
        let op_span = c.span();
        c.bump();
        let exponent = parse_unary(c)?;
        return Ok(binary(BinOp::Pow, op_span, base, exponent));
    }
    Ok(base)
}

fn binary(op: BinOp, op_span: Span, lhs: Expr, rhs: Expr) -> Expr {
    let span = join(lhs.span, rhs.span);
    node(
        ExprKind::Binary {
            op,
            op_span,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    )
}

const EXPRESSION: &str =
    "an expression (a number, a name, `x[i]`, a function call, `sum(..)` or `( .. )`)";

fn parse_primary(c: &mut Cursor) -> PResult<Expr> {
    let Some(tree) = c.peek() else {
        return c.expected(EXPRESSION);
    };
    match tree {
        TokenTree::Literal(lit) => {
            c.bump();
            Ok(node(ExprKind::Num(parse_number(lit)?), lit.span()))
        }
        TokenTree::Ident(name) => {
            c.bump();
            if name == "sum" {
                return parse_sum(c, name.span());
            }
            if let Some(g) = c.group_at(0, Delimiter::Parenthesis) {
                c.bump();
                let args = parse_comma_list(g, c.depth, "`)`", parse_expr)?;
                return Ok(node(
                    ExprKind::Call {
                        name: name.clone(),
                        paren: g.span(),
                        args,
                    },
                    join(name.span(), g.span()),
                ));
            }
            if let Some(g) = c.group_at(0, Delimiter::Bracket) {
                c.bump();
                let indices = parse_comma_list(g, c.depth, "`]`", parse_expr)?;
                if indices.is_empty() {
                    return Err((g.span(), format!("empty index: write `{name}[i]` or `{name}[i, j]`")));
                }
                return Ok(node(
                    ExprKind::Index {
                        name: name.clone(),
                        bracket: g.span(),
                        indices,
                    },
                    join(name.span(), g.span()),
                ));
            }
            Ok(node(ExprKind::Name(name.clone()), name.span()))
        }
        TokenTree::Group(g)
            if matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::None) =>
        {
            c.bump();
            let trees: Vec<TokenTree> = g.stream().into_iter().collect();
            let mut inner = Cursor::new(&trees, g.span_close(), "`)`");
            inner.depth = c.depth;
            let mut e = parse_expr(&mut inner)?;
            if !inner.at_end() {
                return inner.expected("an operator (`+ - * / ^`) or `)`");
            }
            e.span = g.span();
            Ok(e)
        }
        TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => Err((
            g.span(),
            format!(
                "expected {EXPRESSION}, found `[`; array literals `[..]` are only allowed as param defaults"
            ),
        )),
        _ => c.expected(EXPRESSION),
    }
}

/// `sum(i in a..b, j in c..d) term`, after the `sum` keyword.
fn parse_sum(c: &mut Cursor, keyword: Span) -> PResult<Expr> {
    let Some(g) = c.group_at(0, Delimiter::Parenthesis) else {
        return c.expected("`(` after `sum`: `sum(i in 0..n) x[i]`");
    };
    c.bump();
    let binders = parse_comma_list(g, c.depth, "`)`", parse_binder)?;
    if binders.is_empty() {
        return Err((
            g.span(),
            "a sum needs at least one index: `sum(i in 0..n) x[i]`".into(),
        ));
    }
    let body = parse_term(c)?;
    let span = join(keyword, body.span);
    Ok(node(
        ExprKind::Sum {
            keyword,
            binders,
            body: Box::new(body),
        },
        span,
    ))
}

/// `i in lo..hi` or `i in lo..=hi`.
fn parse_binder(c: &mut Cursor) -> PResult<SumBinder> {
    let var = c.expect_ident("a sum index name (`i in 0..n`)")?;
    if !c.is_ident("in") {
        return c.expected(&format!("`in` and a range: `{var} in 0..n`"));
    }
    c.bump();
    let lo = parse_expr(c)?;
    let dots = matches!(c.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '.' && p.spacing() == Spacing::Joint)
        && c.is_punct_at(1, '.');
    if !dots {
        return c.expected(&format!("`..` in the range of `{var}` (`{var} in 0..n`)"));
    }
    c.bump();
    let joint = matches!(c.peek(), Some(TokenTree::Punct(p)) if p.spacing() == Spacing::Joint);
    c.bump();
    let inclusive = joint && c.is_punct('=');
    if inclusive {
        c.bump();
    }
    let hi = parse_expr(c)?;
    Ok(SumBinder {
        var,
        lo,
        hi,
        inclusive,
    })
}

/// A numeric literal (integer or float; no suffix).
fn parse_number(lit: &Literal) -> PResult<Number> {
    let text = lit.to_string();
    let (negative, digits_lit) = match text.strip_prefix('-') {
        Some(rest) => match rest.parse::<Literal>() {
            Ok(mut l) => {
                l.set_span(lit.span());
                (true, l)
            }
            Err(_) => return Err((lit.span(), format!("`{text}` is not a number"))),
        },
        None => (false, lit.clone()),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let (value, int, suffix) = match syn::Lit::new(digits_lit) {
        syn::Lit::Int(i) => {
            let digits = i.base10_digits();
            let int = digits
                .parse::<i64>()
                .ok()
                .map(|v| if negative { -v } else { v });
            let value = digits.parse::<f64>().unwrap_or(f64::INFINITY) * sign;
            (value, int, i.suffix().to_string())
        }
        syn::Lit::Float(f) => {
            let value = f.base10_digits().parse::<f64>().unwrap_or(f64::INFINITY) * sign;
            (value, None, f.suffix().to_string())
        }
        _ => {
            return Err((
                lit.span(),
                format!("expected a number, found the literal {text}; the DSL only has numbers"),
            ))
        }
    };
    if !suffix.is_empty() {
        return Err((
            lit.span(),
            format!("numbers in the DSL have no type suffix: remove `{suffix}` from `{text}`"),
        ));
    }
    if !value.is_finite() {
        return Err((lit.span(), format!("the number `{text}` is too large")));
    }
    Ok(Number { value, int })
}
