//! Text-level checks the grammar cannot make: bidirectional control
//! characters anywhere in the text (trojan source, `P011`), identifiers that
//! mix confusable scripts or look like another identifier of the file
//! (`P012`), and naming an invisible or unexpected character by its code
//! point (for `P001`).

use crate::ast::Span;
use crate::diag::{codes, Diagnostic};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Most `P011`/`P012` diagnostics one file reports.
const MAX_REPORTS: usize = 20;

/// Bidirectional control characters: embeddings, overrides, isolates
/// (what rustc's `text_direction_codepoint_in_literal` denies). Inside a
/// string or comment they reorder how the line is shown, so the text a
/// reviewer reads is not the text the engine runs.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What kind of character `c` is, when it is one a reader cannot see or
/// would not expect in policy text: `None` for an ordinary character.
pub fn unusual(c: char) -> Option<&'static str> {
    if is_bidi_control(c) {
        return Some("a bidirectional control character");
    }
    if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
        return Some("a control character");
    }
    if matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
    {
        return Some("an invisible formatting character");
    }
    if c.is_whitespace() && !matches!(c, ' ' | '\n' | '\t' | '\r') {
        return Some("a space other than the ASCII space");
    }
    if matches!(c, '\u{FFFD}') {
        return Some("the replacement character (the file was decoded with errors)");
    }
    None
}

/// `U+XXXX (kind)` for an unusual character.
pub fn describe(c: char) -> Option<String> {
    unusual(c).map(|kind| format!("U+{:04X} ({kind})", u32::from(c)))
}

/// `text` with every unusual character written as `\u{XXXX}`.
pub fn escape_unusual(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unusual(c).is_some() {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Scripts whose letters are confused with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    /// Fullwidth Latin letters and digits (U+FF10–U+FF5A): they look like
    /// ASCII in a CJK font.
    Fullwidth,
}

fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Some(Script::Latin),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Script::Greek),
        '\u{0400}'..='\u{052F}' => Some(Script::Cyrillic),
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => Some(Script::Fullwidth),
        _ => None,
    }
}

/// The Latin letter `c` looks like, if any (Cyrillic and Greek
/// homoglyphs, fullwidth forms).
fn skeleton_char(c: char) -> char {
    match c {
        'а' => 'a',
        'в' => 'b',
        'е' => 'e',
        'ѕ' => 's',
        'і' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'α' => 'a',
        'ε' => 'e',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(u32::from(c) - 0xFF10 + 0x30).unwrap_or(c)
        }
        _ => c,
    }
}

/// The identifiers of `text` with their spans: runs of alphanumeric
/// characters and `_`, outside strings and comments.
fn identifiers(text: &str) -> Vec<(usize, &str)> {
    // Over bytes: the delimiters are ASCII, and strings and comments (where
    // most of the non-ASCII text is) are skipped without decoding them.
    let bytes = text.as_bytes();
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    let char_at = |i: usize| text.get(i..).and_then(|t| t.chars().next());
    let mut out = Vec::new();
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                while let Some(&d) = bytes.get(i) {
                    i += 1;
                    match d {
                        b'\\' => i += 1,
                        b'"' | b'\n' => break,
                        _ => {}
                    }
                }
            }
            b'#' => {
                let rest = bytes.get(i..).unwrap_or(&[]);
                i += rest.iter().position(|&d| d == b'\n').unwrap_or(rest.len());
            }
            _ if b < 0x80 && !(b.is_ascii_alphanumeric() || b == b'_') => i += 1,
            _ => {
                let Some(c) = char_at(i) else { break };
                if !word_char(c) {
                    i += c.len_utf8();
                    continue;
                }
                let start = i;
                while let Some(&d) = bytes.get(i) {
                    if d.is_ascii_alphanumeric() || d == b'_' {
                        i += 1;
                    } else if d >= 0x80 {
                        match char_at(i) {
                            Some(c) if word_char(c) => i += c.len_utf8(),
                            _ => break,
                        }
                    } else {
                        break;
                    }
                }
                if let Some(word) = text.get(start..i) {
                    out.push((start, word));
                }
            }
        }
    }
    out
}

/// The bidirectional control characters of `text` with their offsets: each
/// is U+202A–U+202E or U+2066–U+2069, so it starts with the byte 0xE2.
fn bidi_controls(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == 0xE2)
        .filter_map(move |(i, _)| text.get(i..).and_then(|t| t.chars().next()).map(|c| (i, c)))
        .filter(|&(_, c)| is_bidi_control(c))
}

/// `P011` for each bidirectional control character, `P012` for each
/// identifier mixing confusable scripts and for each pair of distinct
/// identifiers that look alike (at most [`MAX_REPORTS`] in all).
pub fn check(name: &Arc<str>, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, c) in bidi_controls(text) {
        if out.len() >= MAX_REPORTS {
            return out;
        }
        out.push(
            Diagnostic::error(
                codes::BIDI_CONTROL,
                name,
                Span::new(i, i + c.len_utf8()),
                format!("bidirectional control character U+{:04X} in the text", u32::from(c)),
            )
            .with_label("reorders how the line is displayed")
            .with_help("delete it: it makes the text shown differ from the text the engine reads (trojan source)"),
        );
    }
    // Only words with a letter outside ASCII can be confusable.
    // Keys borrow the text where the word is its own skeleton (every ASCII
    // word): no allocation per identifier.
    let mut by_skeleton: HashMap<Cow<'_, str>, (usize, &str)> = HashMap::new();
    let mut reported: Vec<(String, String)> = Vec::new();
    let words = identifiers(text);
    // Two names can only look alike when one of them has a letter that
    // stands for another (its skeleton differs from it): without such a name
    // the ASCII names need no bookkeeping.
    let any_confusable = words.iter().any(|(_, w)| !w.is_ascii() && w.chars().any(|c| skeleton_char(c) != c));
    for (at, word) in words {
        if word.is_ascii() {
            if !any_confusable {
                continue;
            }
            if let Some(&(_, other)) = by_skeleton.get(word) {
                if other != word && !reported.iter().any(|(a, b)| a == other && b == word) {
                    reported.push((other.to_string(), word.to_string()));
                    out.push(look_alike(name, at, word, other));
                }
            }
            by_skeleton.entry(Cow::Borrowed(word)).or_insert((at, word));
            continue;
        }
        let scripts: Vec<Script> = word.chars().filter_map(script).fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
        if out.len() >= MAX_REPORTS {
            return out;
        }
        if scripts.len() > 1 && !reported.iter().any(|(a, b)| a == word && b.is_empty()) {
            reported.push((word.to_string(), String::new()));
            let chars: Vec<String> = word
                .chars()
                .filter(|c| script(*c).is_some_and(|s| s != Script::Latin))
                .map(|c| format!("`{c}` U+{:04X}", u32::from(c)))
                .take(3)
                .collect();
            out.push(
                Diagnostic::warning(
                    codes::CONFUSABLE,
                    name,
                    Span::new(at, at + word.len()),
                    format!("identifier `{word}` mixes scripts ({})", chars.join(", ")),
                )
                .with_label("letters of different scripts that look alike")
                .with_help("write the name in one script"),
            );
        }
        let skeleton: String = word.chars().map(skeleton_char).collect();
        if skeleton != word {
            match by_skeleton.get(skeleton.as_str()) {
                Some(&(_, other)) if other != word => {
                    if !reported.iter().any(|(a, b)| a == other && b == word) {
                        reported.push((other.to_string(), word.to_string()));
                        out.push(look_alike(name, at, word, other));
                    }
                }
                _ => {
                    by_skeleton.insert(Cow::Owned(skeleton), (at, word));
                }
            }
        }
    }
    out.truncate(MAX_REPORTS);
    out
}

fn look_alike(name: &Arc<str>, at: usize, word: &str, other: &str) -> Diagnostic {
    Diagnostic::warning(codes::CONFUSABLE, name, Span::new(at, at + word.len()), format!("identifier `{word}` looks like `{other}`"))
        .with_label(format!("not the same name as `{other}`: {}", escape_codes(word)))
        .with_help("rename one of them, or write both in the same script")
}

fn escape_codes(word: &str) -> String {
    word.chars().filter(|c| !c.is_ascii()).map(|c| format!("`{c}` is U+{:04X}", u32::from(c))).take(3).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeletons_and_scripts() {
        let name: Arc<str> = Arc::from("t");
        let d = check(&name, "input dаys: int\nlet x = days\n");
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(d.iter().all(|d| d.code.id == "P012"));
        assert!(check(&name, "input 天数: int \"天数\"\nlet days_天 = 1\n").is_empty());
        assert!(check(&name, "# dаys\nlet s = \"dаys\"\n").is_empty(), "comments and strings are not identifiers");
        assert_eq!(check(&name, "let s = \"a\u{202E}b\"\n").len(), 1);
        assert_eq!(escape_unusual("\0policy"), "\\u{0000}policy");
    }
}
