//! Statements: `const`, `param`, `leader`, `follower`, `data`, `let`, `cost`,
//! `budget`, with their shapes and array literals.

use super::cursor::{parse_comma_list, Cursor};
use super::expr::{parse_binder, parse_expr, too_deep, MAX_NESTING};
use super::{PResult, STATEMENTS};
use crate::ast::{ArrayElem, ArrayLit, Dims, Item, ParamDefault, Role};
use proc_macro2::{Delimiter, Group, TokenTree};

pub(super) fn parse_item(c: &mut Cursor) -> PResult<Item> {
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
            let mut parts = Vec::new();
            if let Some(g) = c.group_at(0, Delimiter::Brace) {
                c.bump();
                parts = parse_comma_list(g, c.depth, "`}`", |c| {
                    let part = c.expect_ident("a part's name (`w1: [H, Z]` or `c`)")?;
                    let dims = if c.eat_punct(':').is_some() {
                        Some(parse_dims(c, "the part's dimensions `[n]` or `[n, m]`")?)
                    } else {
                        None
                    };
                    Ok((part, dims))
                })?;
                if parts.is_empty() {
                    return Err((
                        g.span(),
                        format!("empty part list: write `{kw} {name} {{ w: [n], b }};`, or `{kw} {name};` for one variable"),
                    ));
                }
            } else if c.eat_punct(':').is_some() {
                if c.is_ident("angle") {
                    angle = c.bump().map(TokenTree::span);
                }
                if let (Some(a), Some(_)) = (angle, c.group_at(0, Delimiter::Brace)) {
                    return Err((
                        a,
                        "a player made of parts cannot be an `angle`; declare the angles as a separate player (`follower th: angle[n];`)".into(),
                    ));
                }
                if c.group_at(0, Delimiter::Bracket).is_some() {
                    dims = Some(parse_dims(c, "dimensions")?);
                } else if angle.is_none() {
                    return c.expected("a type after `:`: `[n]`, `[n, m]`, `angle` or `angle[n]`");
                }
            }
            let mut after = None;
            if c.is_ident("after") {
                let a_span = c.span();
                c.bump();
                if role == Role::Leader {
                    return Err((
                        a_span,
                        "the leader is the top of the hierarchy (level 0) and follows no one; `after` is for followers (`follower z after y;`)".into(),
                    ));
                }
                after = Some(c.expect_ident(
                    "the player one level above, after `after` (`follower z after y;`)",
                )?);
            }
            if c.eat_punct(';').is_none() {
                if after.is_some() {
                    return c.expected("`;` after `after NAME`");
                }
                if !parts.is_empty() {
                    return c.expected("`;` (or `after NAME`) after the player's parts");
                }
                return c.expected(
                    "`;` (or `: [n]`, `: [n, m]`, `: angle`, `{ parts }` or `after NAME` before it)",
                );
            }
            Ok(Item::Player {
                role,
                keyword: kw_span,
                name,
                angle,
                dims,
                parts,
                after,
            })
        }
        "data" => {
            c.bump();
            let name = c.expect_ident("the data input's name (`data x: [B, 2];`)")?;
            let dims = if c.eat_punct(':').is_some() {
                Some(parse_dims(
                    c,
                    "the data input's dimensions `[n]` or `[n, m]`",
                )?)
            } else {
                None
            };
            if c.eat_punct('=').is_some() {
                return Err((
                    name.span(),
                    format!("data input `{name}` has no value in the game: the runtime samples it every step (bind a sampler with `Study::data(\"{name}\", ..)`); use a `param` for a fixed value"),
                ));
            }
            if c.eat_punct(';').is_none() {
                return c.expected("`;` (or `: [n]`, `: [n, m]` before it)");
            }
            Ok(Item::Data {
                keyword: kw_span,
                name,
                dims,
            })
        }
        "let" => {
            c.bump();
            let name = c.expect_ident("the let's name (`let name = expr;`)")?;
            let binders = match c.group_at(0, Delimiter::Bracket) {
                Some(g) => {
                    c.bump();
                    let binders = parse_comma_list(g, c.depth, "`]`", parse_binder)?;
                    if binders.is_empty() {
                        return Err((
                            g.span(),
                            format!("empty index list: write `let {name}[i in 0..n] = ..;` for a let with indices, or `let {name} = ..;`"),
                        ));
                    }
                    binders
                }
                None => Vec::new(),
            };
            c.expect_punct('=', "`=` and the let's expression")?;
            let value = parse_expr(c)?;
            c.expect_statement_end()?;
            Ok(Item::Let {
                name,
                binders,
                value,
            })
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
                "const", "param", "leader", "follower", "data", "let", "cost", "budget",
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
