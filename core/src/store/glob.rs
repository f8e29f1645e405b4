//! Glob matching with the rules of Redis `stringmatchlen` (KEYS, SCAN MATCH, HSCAN MATCH ...):
//! `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes; byte-wise and case-sensitive.

/// Deepest `*` nesting explored before giving up (bounds the work on hostile patterns).
const STAR_RECURSION_MAX: usize = 64;

/// True when `text` matches `pattern`.
pub(crate) fn matches(pattern: &[u8], text: &[u8]) -> bool {
    match_from(pattern, text, 0)
}

fn match_from(mut pattern: &[u8], mut text: &[u8], depth: usize) -> bool {
    while let Some((&head, rest)) = pattern.split_first() {
        match head {
            b'*' => {
                while pattern.len() > 1 && pattern[1] == b'*' {
                    pattern = &pattern[1..];
                }
                if pattern.len() == 1 {
                    return true;
                }
                if depth >= STAR_RECURSION_MAX {
                    return false;
                }
                return (0..=text.len()).any(|skip| match_from(&pattern[1..], &text[skip..], depth + 1));
            }
            b'?' => {
                let Some((_, remaining)) = text.split_first() else { return false };
                text = remaining;
                pattern = rest;
            }
            b'[' => {
                let Some((&byte, remaining)) = text.split_first() else { return false };
                let (matched, after) = match_class(rest, byte);
                if !matched {
                    return false;
                }
                text = remaining;
                pattern = after;
            }
            _ => {
                let (literal, after) = match (head, rest.split_first()) {
                    (b'\\', Some((&escaped, after))) => (escaped, after),
                    _ => (head, rest),
                };
                match text.split_first() {
                    Some((&byte, remaining)) if byte == literal => text = remaining,
                    _ => return false,
                }
                pattern = after;
            }
        }
    }
    text.is_empty()
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
            [start, b'-', end, rest @ ..] if *end != b']' => {
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
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern.as_bytes(), text.as_bytes()), *expected, "{pattern} vs {text}");
        }
    }
}
