//! Expressions, one function per precedence level (see the table in the
//! [module docs](super)), with the nesting and height limits that bound
//! every later pass's recursion.

use super::cursor::{join, parse_comma_list, Cursor};
use super::PResult;
use crate::ast::{BinOp, Expr, ExprKind, Number, Reduction, SumBinder};
use proc_macro2::{Delimiter, Literal, Spacing, Span, TokenTree};

/// Deepest nesting of brackets, calls, sums, powers and minus signs in an
/// expression (bounds the parser's recursion).
pub(super) const MAX_NESTING: u32 = 128;

/// Highest expression tree (bounds the recursion of every later pass; a
/// chain `a + b + c` is a tree as high as it is long).
const MAX_HEIGHT: u32 = 512;

pub(super) fn too_deep() -> String {
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
pub(super) fn parse_expr(c: &mut Cursor) -> PResult<Expr> {
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
            if let Some(op) = reduction(c, name) {
                return parse_reduction(c, op, name.span());
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

/// The reduction a name starts, if any: `sum` and `mean` always; `max` and
/// `min` only before a binder `(NAME in ..`, otherwise they are the
/// two-argument functions `max(a, b)`, `min(a, b)`.
fn reduction(c: &Cursor, name: &proc_macro2::Ident) -> Option<Reduction> {
    let op = match name.to_string().as_str() {
        "sum" => return Some(Reduction::Sum),
        "mean" => return Some(Reduction::Mean),
        "max" => Reduction::Max,
        "min" => Reduction::Min,
        _ => return None,
    };
    let g = c.group_at(0, Delimiter::Parenthesis)?;
    let mut inside = g.stream().into_iter();
    let binder = matches!(
        (inside.next(), inside.next()),
        (Some(TokenTree::Ident(_)), Some(TokenTree::Ident(kw))) if kw == "in"
    );
    binder.then_some(op)
}

/// `sum(i in a..b, j in c..d) term` (or `mean`, `max`, `min`), after the
/// keyword.
fn parse_reduction(c: &mut Cursor, op: Reduction, keyword: Span) -> PResult<Expr> {
    let kw = op.keyword();
    let Some(g) = c.group_at(0, Delimiter::Parenthesis) else {
        return c.expected(&format!("`(` after `{kw}`: `{kw}(i in 0..n) x[i]`"));
    };
    c.bump();
    let binders = parse_comma_list(g, c.depth, "`)`", parse_binder)?;
    if binders.is_empty() {
        return Err((
            g.span(),
            format!("a `{kw}` needs at least one index: `{kw}(i in 0..n) x[i]`"),
        ));
    }
    let body = parse_term(c)?;
    let span = join(keyword, body.span);
    Ok(node(
        ExprKind::Sum {
            keyword,
            op,
            binders,
            body: Box::new(body),
        },
        span,
    ))
}

/// `i in lo..hi` or `i in lo..=hi` (a reduction's or a tensor let's index).
pub(super) fn parse_binder(c: &mut Cursor) -> PResult<SumBinder> {
    let var = c.expect_ident("an index name and its range (`i in 0..n`)")?;
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
