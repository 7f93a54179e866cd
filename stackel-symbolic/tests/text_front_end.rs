//! Games as text: the same errors at the same places as the macro (every
//! trybuild UI case, read from its `.stderr`), rendered like rustc; and no
//! panic on 10,000 random and mutated texts.

use proptest::prelude::*;
use stackel_symbolic::text::{compile_text, front_end_text};

/// The file with everything outside each `stackel_game! { .. }` body blanked
/// (newlines kept), so positions in the text are positions in the file.
fn macro_bodies(file: &str) -> Option<String> {
    let mut out: Vec<char> = file
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    let chars: Vec<char> = file.chars().collect();
    let mut found = false;
    let mut i = 0;
    let key: Vec<char> = "stackel_game!".chars().collect();
    while i + key.len() <= chars.len() {
        if chars[i..i + key.len()] == key[..] {
            let mut j = i + key.len();
            while j < chars.len() && chars[j] != '{' {
                j += 1;
            }
            let mut depth = 0;
            let start = j + 1;
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            out[start..j.min(chars.len())].copy_from_slice(&chars[start..j.min(chars.len())]);
            found = true;
            i = j;
        } else {
            i += 1;
        }
    }
    found.then(|| out.into_iter().collect())
}

#[test]
fn every_ui_case_gives_the_macros_errors_at_the_macros_places() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/ui");
    let mut cases = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let file = std::fs::read_to_string(&path).unwrap();
        let stderr = std::fs::read_to_string(path.with_extension("stderr")).unwrap();
        let Some(text) = macro_bodies(&file) else {
            continue;
        };
        let name = format!("tests/ui/{}", path.file_name().unwrap().to_str().unwrap());
        let Err(err) = compile_text(&name, &text) else {
            panic!("{name}: the text compiles, the macro does not:\n{stderr}");
        };
        assert!(!err.diagnostics.is_empty());
        for d in &err.diagnostics {
            let expected = format!("error: {}\n --> {name}:{}:{}", d.message, d.line, d.column);
            assert!(
                stderr.contains(&expected),
                "{name}: the text gives\n{expected}\nwhich the macro's stderr does not hold:\n{stderr}"
            );
        }
        // the rendered form is rustc's: message, place, source line, and
        // carets from the same column (the text's spans join across tokens,
        // which the macro's cannot on stable rustc, so they may run longer)
        let first = err.to_string();
        let lines: Vec<&str> = first.lines().collect();
        let block = lines[..4].join("\n");
        let at = stderr
            .find(&block)
            .unwrap_or_else(|| panic!("{name}: rendered\n{block}\nnot in\n{stderr}"));
        let macro_carets = stderr[at + block.len()..]
            .lines()
            .nth(1)
            .unwrap()
            .trim_end();
        let carets = lines[4].trim_end();
        assert_eq!(carets.find('^'), macro_carets.find('^'), "{name}");
        assert!(
            carets.len() >= macro_carets.len(),
            "{name}: {carets} vs {macro_carets}"
        );
        cases += 1;
    }
    assert!(cases >= 30, "only {cases} UI cases read");
}

#[test]
fn lexing_errors_have_places_too() {
    let err = front_end_text("g.stk", "game G {\n    leader x;\n    cost x = (x;\n}").unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert!(err.diagnostics[0]
        .message
        .starts_with("the text does not tokenize"));
    assert!(err.diagnostics[0].line >= 1);
    let err = front_end_text("g.stk", "game G { leader x; /* open comment").unwrap_err();
    assert!(err.to_string().contains("g.stk:1:"));
}

const DUOPOLY: &str = "game Duopoly {
    param a = 100.0;  param c1 = 5.0;  param c2 = 2.0;
    leader q1;  follower q2;
    let price = a - q1 - q2;
    cost q1 = -(price - c1) * q1;
    cost q2 = -(price - c2) * q2;
}";

const COVARIANCE: &str = "game Covariance {
    const M = 3;
    param sigma: [M, M] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    param eta = 0.6;
    leader v: [M, M];  follower w: [M, M];
    let f = sum(i in 0..M, j in 0..M) w[i, j] * (sigma[i, j] - sum(k in 0..M) v[i, k] * v[j, k]);
    cost v = f;
    cost w = -f + eta / 2.0 * max(k in 0..M) sum(i in 0..M) w[i, k]^2;
}";

const ALPHABET: &[char] = &[
    'g', 'a', 'm', 'e', 'x', 'y', 'q', '1', '2', '0', '.', ';', ':', ',', '[', ']', '(', ')', '{',
    '}', '+', '-', '*', '/', '^', '=', ' ', '\n', '"', '\'', '#', '!', '<', '>', '_', 'M', 'i',
    'n', 's', 'u',
];

/// Compiles `text` all the way when the front end accepts it and the
/// unrolled game is small: the outcome, code or errors, never a panic.
fn must_not_panic(text: &str) {
    if let Ok(model) = front_end_text("fuzz.stk", text) {
        let small = std::iter::once(&model.leader)
            .chain(&model.followers)
            .map(|p| stackel_symbolic::unrolled_size(&p.cost))
            .sum::<u64>()
            < 5_000;
        if small {
            let _ = compile_text("fuzz.stk", text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    /// Mutations of two valid games: characters deleted, replaced, inserted.
    #[test]
    fn mutated_games_never_panic(
        base in prop::sample::select(vec![DUOPOLY, COVARIANCE]),
        edits in prop::collection::vec((0usize..400, 0u8..3, prop::sample::select(ALPHABET)), 1..6),
    ) {
        let mut chars: Vec<char> = base.chars().collect();
        for (at, kind, c) in edits {
            let at = at % (chars.len() + 1);
            match kind {
                0 if at < chars.len() => { chars.remove(at); }
                1 if at < chars.len() => chars[at] = c,
                _ => chars.insert(at, c),
            }
        }
        let text: String = chars.into_iter().collect();
        must_not_panic(&text);
    }

    /// Random texts over the DSL's characters.
    #[test]
    fn random_texts_never_panic(chars in prop::collection::vec(prop::sample::select(ALPHABET), 0..120)) {
        let text: String = chars.into_iter().collect();
        must_not_panic(&text);
        must_not_panic(&format!("game G {{ {text} }}"));
    }
}
