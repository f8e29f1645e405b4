//! Glob matching with the rules of Redis `stringmatchlen` (KEYS, SCAN MATCH, HSCAN MATCH ...):
//! `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes; byte-wise and case-sensitive.

/// True when `text` matches `pattern`.
///
/// Iterative with single-star backtracking (remember the last `*` and retry it one byte further),
/// so the work is bounded by `pattern.len() * text.len()` whatever the pattern: no hostile KEYS
/// pattern can stall the engine.
pub(crate) fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let mut pattern_at = 0;
    let mut text_at = 0;
    // (pattern index after the last `*`, text index that star currently absorbs up to)
    let mut backtrack: Option<(usize, usize)> = None;
    while text_at < text.len() {
        if pattern.get(pattern_at) == Some(&b'*') {
            pattern_at += 1;
            backtrack = Some((pattern_at, text_at));
            continue;
        }
        if let Some(after) = match_one(&pattern[pattern_at..], text[text_at]) {
            pattern_at += after;
            text_at += 1;
            continue;
        }
        match backtrack {
            Some((star_pattern, star_text)) => {
                pattern_at = star_pattern;
                text_at = star_text + 1;
                backtrack = Some((star_pattern, star_text + 1));
            }
            None => return false,
        }
    }
    pattern[pattern_at..].iter().all(|&byte| byte == b'*')
}

/// Matches one non-`*` pattern token against `byte`; returns the token's length when it matches.
fn match_one(pattern: &[u8], byte: u8) -> Option<usize> {
    match pattern {
        [] | [b'*', ..] => None,
        [b'?', ..] => Some(1),
        [b'[', body @ ..] => {
            let (matched, rest) = match_class(body, byte);
            matched.then_some(pattern.len() - rest.len())
        }
        [b'\\', escaped, ..] => (*escaped == byte).then_some(2),
        [literal, ..] => (*literal == byte).then_some(1),
    }
}

/// Matches `byte` against a class body (after `[`); returns the outcome and the pattern after `]`.
fn match_class(mut pattern: &[u8], byte: u8) -> (bool, &[u8]) {
    let negate = pattern.first() == Some(&b'^');
    if negate {
        pattern = &pattern[1..];
    }
    let mut matched = false;
    loop {
        match pattern {
            [] => break,
            [b']', rest @ ..] => {
                pattern = rest;
                break;
            }
            [b'\\', escaped, rest @ ..] => {
                matched |= *escaped == byte;
                pattern = rest;
            }
            [start, b'-', end, rest @ ..] => {
                let (low, high) = if start <= end { (*start, *end) } else { (*end, *start) };
                matched |= (low..=high).contains(&byte);
                pattern = rest;
            }
            [single, rest @ ..] => {
                matched |= *single == byte;
                pattern = rest;
            }
        }
    }
    (matched != negate, pattern)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn redis_glob_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("user:*", "user:1", true),
            ("", "", true),
            ("a", "", false),
            ("*a*b", "xxaxxbxxb", true),
            ("a*", "b", false),
            ("**", "", true),
            ("[abc", "a", true),
            ("\\", "\\", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern.as_bytes(), text.as_bytes()), *expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn hostile_patterns_finish_quickly() {
        let pattern = "*a".repeat(40) + "b";
        let text = "a".repeat(5000);
        assert!(!matches(pattern.as_bytes(), text.as_bytes()));
    }
}
