//! Names: declaring them (duplicates, reserved words, Rust keywords),
//! the function names, and suggestions for unknown names (edit distance).

use super::*;

/// The one-argument functions, for error messages.
pub(super) fn unary_list() -> String {
    UnaryFn::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn unary_fn(name: &str) -> Option<UnaryFn> {
    UnaryFn::ALL.into_iter().find(|f| f.name() == name)
}

pub(super) fn binary_fn(name: &str) -> Option<BinaryFn> {
    [BinaryFn::Min, BinaryFn::Max]
        .into_iter()
        .find(|f| f.name() == name)
}

/// Rust's keywords (strict and reserved): the generated code uses a game's
/// names as identifiers.
pub(super) const RUST_KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// The error for a name that cannot be a Rust identifier, if it is one.
pub(crate) fn rust_keyword(name: &str) -> Option<String> {
    if let Some(raw) = name.strip_prefix("r#") {
        return Some(format!(
            "raw identifier `{name}`: write a plain name instead of the Rust keyword `{raw}`"
        ));
    }
    RUST_KEYWORDS.contains(&name).then(|| {
        format!("`{name}` is a Rust keyword, and the generated code uses the game's names as Rust identifiers; choose another name")
    })
}

/// Names that cannot be declared (besides the function names).
pub(super) const RESERVED: [&str; 3] = ["pi", "sum", "mean"];

/// The closest candidates within a small edit distance, as "`a`",
/// "`a` or `b`" or "`a`, `b` or `c`" (at most three, in alphabetical
/// order), if any.
pub(crate) fn suggest<'s>(name: &str, candidates: impl Iterator<Item = &'s str>) -> Option<String> {
    let len = name.chars().count();
    if len < 2 {
        // Every one-letter name is near every other one.
        return None;
    }
    let limit = (len / 3).max(1);
    let mut near: Vec<(usize, &str)> = candidates
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    let best = near.iter().map(|(d, _)| *d).min()?;
    near.retain(|(d, _)| *d == best);
    near.sort();
    near.dedup();
    let names: Vec<String> = near.iter().take(3).map(|(_, c)| format!("`{c}`")).collect();
    Some(match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    })
}

/// Levenshtein distance.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl<'a> Checker<'a> {
    /// Registers a declared name; reports duplicates and reserved names.
    /// Returns false (and registers nothing) when the name is unusable.
    pub(super) fn declare(&mut self, name: &Ident, global: Global, what: &'static str) -> bool {
        let text = name.to_string();
        let invalid = if let Some(msg) = rust_keyword(&text) {
            Some(msg)
        } else if RESERVED.contains(&text.as_str())
            || unary_fn(&text).is_some()
            || binary_fn(&text).is_some()
            || matches!(text.as_str(), "log_sigmoid" | "leaky_relu")
        {
            Some(format!(
                "`{text}` is a built-in name of the DSL; choose another name"
            ))
        } else {
            None
        };
        if let Some(msg) = invalid {
            self.error(name.span(), msg);
            // Uses of the name are not reported again.
            self.names.entry(text).or_insert(Decl {
                global: Global::Poisoned,
                what: "an invalid name",
            });
            return false;
        }
        if let Some(prev) = self.names.get(&text) {
            let msg = format!(
                "`{text}` is declared twice: it is already {}; every name in a game must be different",
                prev.what
            );
            self.error(name.span(), msg);
            self.duplicated.insert(text);
            return false;
        }
        self.names.insert(text, Decl { global, what });
        true
    }

    /// Pass 1: every declaration, leader first among the players.
    pub(super) fn declare_all(&mut self) {
        let ast = self.ast;
        // Slot 0 is the leader's, filled when (and if) it is declared.
        self.player_items.push(None);
        self.part_items.push(Vec::new());
        for item in &ast.items {
            match item {
                Item::Const { name, value } => {
                    let at = self.const_items.len();
                    if self.declare(name, Global::Const(at), "a const") {
                        self.const_items.push((name, value));
                    }
                }
                Item::Param {
                    name,
                    dims,
                    default,
                } => {
                    let at = self.param_items.len();
                    if self.declare(name, Global::Param(at), "a param") {
                        self.param_items
                            .push((name, dims.as_ref(), default.as_ref()));
                    }
                }
                Item::Player {
                    role: Role::Leader,
                    keyword,
                    name,
                    angle,
                    dims,
                    parts,
                    ..
                } => {
                    if let Some((first, _, _)) = self.player_items[0] {
                        self.error(
                            *keyword,
                            format!(
                                "a game has exactly one leader, and `{first}` is already the leader; declare `{name}` as a `follower` (followers play simultaneously among themselves)"
                            ),
                        );
                        self.names.entry(name.to_string()).or_insert(Decl {
                            global: Global::Poisoned,
                            what: "a second leader",
                        });
                    } else if self.declare(name, Global::Player(0), "the leader") {
                        self.player_items[0] = Some((name, *angle, dims.as_ref()));
                        self.part_items[0] = self.declare_parts(0, parts);
                    }
                }
                Item::Player {
                    role: Role::Follower,
                    name,
                    angle,
                    dims,
                    parts,
                    after,
                    ..
                } => {
                    let number = self.player_items.len();
                    let level = match after {
                        Some(target) => self.level_after(name, target),
                        None => 1,
                    };
                    if self.declare(name, Global::Player(number), "a follower") {
                        self.player_levels.push(level);
                        self.player_items.push(Some((name, *angle, dims.as_ref())));
                        let parts = self.declare_parts(number, parts);
                        self.part_items.push(parts);
                    }
                }
                Item::Data { name, dims, .. } => {
                    let at = self.data_items.len();
                    if self.declare(name, Global::Data(at), "a data input") {
                        self.data_items.push((name, dims.as_ref()));
                    }
                }
                Item::Let {
                    name,
                    binders,
                    value,
                } => {
                    let at = self.let_items.len();
                    if self.declare(name, Global::Let(at), "a let") {
                        self.let_items.push((name, binders, value));
                    }
                }
                Item::Cost { .. } | Item::Budget { .. } => {}
            }
        }
        for skipped in &ast.skipped {
            for name in &skipped.names {
                self.names.entry(name.to_string()).or_insert(Decl {
                    global: Global::Poisoned,
                    what: "a name in a statement with a syntax error",
                });
            }
        }
        if !ast.skipped.is_empty() {
            // A skipped statement may have declared the missing players.
            return;
        }
        let declared = |role| {
            ast.items
                .iter()
                .any(|i| matches!(i, Item::Player { role: r, .. } if *r == role))
        };
        if !declared(Role::Leader) {
            self.error(
                ast.name.span(),
                format!(
                    "game `{}` has no leader; declare exactly one `leader x;`",
                    ast.name
                ),
            );
        }
        if !declared(Role::Follower) {
            self.error(
                ast.name.span(),
                format!(
                    "game `{}` has no follower; declare one or more `follower y;`",
                    ast.name
                ),
            );
        }
    }

    /// The level of `follower name after target;`: one below `target`, a
    /// player declared earlier. Any other target is reported (and the
    /// follower gets level 1, so the rest of the game is still checked).
    fn level_after(&mut self, name: &Ident, target: &Ident) -> u32 {
        let text = target.to_string();
        let msg = match self.names.get(&text) {
            Some(Decl {
                global: Global::Player(q),
                ..
            }) => return self.player_levels.get(*q).map_or(1, |l| l + 1),
            Some(Decl {
                global: Global::Poisoned,
                ..
            }) => return 1,
            Some(d) => format!(
                "`{name}` cannot follow `{text}`: `{text}` is {}, not a player; `after` names a player declared before `{name}` (`follower {name} after p;`)",
                d.what
            ),
            None if *name == text => format!(
                "`{name}` cannot follow itself; `after` names the player one level above (`follower {name} after p;`)"
            ),
            None if self.declared_later(&text) => format!(
                "`{text}` is declared after `{name}`; a follower comes after the player it follows: declare `{text}` first"
            ),
            None => {
                let candidates = self.names.keys().map(String::as_str);
                match suggest(&text, candidates) {
                    Some(s) => format!("unknown player `{text}` after `after`; did you mean {s}?"),
                    None => format!(
                        "unknown player `{text}` after `after`; `after` names a player declared before `{name}` (`follower {name} after p;`)"
                    ),
                }
            }
        };
        self.error(target.span(), msg);
        1
    }

    /// Is `text` declared as a player anywhere in the game?
    fn declared_later(&self, text: &str) -> bool {
        self.ast
            .items
            .iter()
            .any(|i| matches!(i, Item::Player { name, .. } if name == text))
    }

    /// Declares the parts of player `p` (`leader gen { w: [n], b };`; the
    /// parser rejects parts on an `angle` player).
    fn declare_parts(
        &mut self,
        p: usize,
        parts: &'a [(Ident, Option<ast::Dims>)],
    ) -> Vec<(&'a Ident, Option<&'a ast::Dims>)> {
        let mut out = Vec::new();
        for (part, dims) in parts {
            let at = out.len();
            if self.declare(part, Global::Part(p, at), "a player part") {
                out.push((part, dims.as_ref()));
            }
        }
        out
    }

    /// "unknown name" with a suggestion, or "sum index used outside its sum".
    pub(super) fn unknown_name(&self, id: &Ident, bound: &[Bound]) -> (Span, String) {
        let text = id.to_string();
        if self.sum_names.contains(&text) {
            return (
                id.span(),
                format!(
                    "`{text}` is a sum index used outside its sum; it is only in scope in the body of its `sum({text} in ..)`, which ends at the first `+` or `-` outside brackets: write `sum({text} in ..) (a + b)` to sum a whole expression"
                ),
            );
        }
        if let Some(let_name) = self.let_index_names.get(&text) {
            return (
                id.span(),
                format!(
                    "`{text}` is an index of let `{let_name}` used outside the let; it is only in scope in the let's body (`let {let_name}[.., {text} in .., ..] = body;`); use an entry such as `{let_name}[..]`, or bind `{text}` with `sum({text} in ..)`"
                ),
            );
        }
        let candidates = self
            .names
            .keys()
            .map(String::as_str)
            .chain(bound.iter().map(|b| b.name.as_str()))
            .chain(["pi"]);
        let mut msg = format!("unknown name `{text}`");
        if let Some(s) = suggest(&text, candidates) {
            msg.push_str(&format!("; did you mean {s}?"));
        } else {
            msg.push_str("; names are declared with `leader`, `follower` (and their parts), `data`, `param`, `const` or `let`, or bound by `sum(name in ..)`");
        }
        (id.span(), msg)
    }
}
