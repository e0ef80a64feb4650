//! Formatter: documents.

use super::*;

/// A layout document (after Wadler's "prettier printer").
#[derive(Debug, Clone)]
pub(super) enum Doc {
    Text(String),
    /// A space, or a newline when its group breaks.
    Line,
    /// Nothing, or a newline when its group breaks.
    SoftLine,
    /// Always a newline.
    HardLine,
    /// Text printed only when its group breaks (trailing commas).
    IfBreak(&'static str),
    /// Indents the lines inside by [`INDENT`].
    Nest(Box<Doc>),
    /// Printed flat when it fits, else broken.
    Group(Box<Doc>),
    Concat(Vec<Doc>),
    /// A `# comment` printed two spaces after the end of the current line,
    /// just before the next line break: a comment beside a tier, band,
    /// match arm or element. A group holding one never prints flat.
    Trailing(String),
}

pub(super) fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}
pub(super) fn cat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}
pub(super) fn nest(d: Doc) -> Doc {
    Doc::Nest(Box::new(d))
}
pub(super) fn group(d: Doc) -> Doc {
    Doc::Group(Box::new(d))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Flat,
    Break,
}

/// Display columns of `s`: East Asian wide characters (汉字, full-width
/// punctuation) take two, as a terminal or an editor shows them.
pub(super) fn columns(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

pub(super) fn width(s: &str) -> isize {
    isize::try_from(columns(s)).unwrap_or(isize::MAX)
}

pub(super) fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Renders `doc` starting at column `indent`; continuation lines carry their
/// indentation, the first line does not.
pub(super) fn render(doc: &Doc, indent: usize) -> String {
    let mut out = String::new();
    let mut col = isize::try_from(indent).unwrap_or(0);
    let max = isize::try_from(MAX_WIDTH).unwrap_or(isize::MAX);
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(indent, Mode::Break, doc)];
    let mut pending: Vec<&str> = Vec::new();
    while let Some((ind, mode, d)) = stack.pop() {
        match d {
            Doc::Trailing(c) => pending.push(c),
            Doc::Text(s) => {
                out.push_str(s);
                col += width(s);
            }
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|p| (ind, mode, p))),
            Doc::Nest(x) => stack.push((ind + INDENT, mode, x)),
            Doc::Group(x) => {
                let m = if mode == Mode::Flat || fits(x, &stack, max - col) { Mode::Flat } else { Mode::Break };
                stack.push((ind, m, x));
            }
            Doc::Line | Doc::SoftLine | Doc::HardLine => {
                if mode == Mode::Break || matches!(d, Doc::HardLine) {
                    flush(&mut out, &mut pending);
                    newline(&mut out, ind);
                    col = isize::try_from(ind).unwrap_or(0);
                } else if matches!(d, Doc::Line) {
                    out.push(' ');
                    col += 1;
                }
            }
            Doc::IfBreak(s) => {
                if mode == Mode::Break {
                    out.push_str(s);
                    col += width(s);
                }
            }
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// Writes the comments waiting for the end of the line.
fn flush(out: &mut String, pending: &mut Vec<&str>) {
    for c in pending.drain(..) {
        out.push_str("  ");
        out.push_str(c);
    }
}

/// Whether `next`, printed flat, and what follows it up to the next line
/// break fit in `room` columns.
pub(super) fn fits(next: &Doc, rest: &[(usize, Mode, &Doc)], mut room: isize) -> bool {
    let mut stack: Vec<(Mode, &Doc)> = vec![(Mode::Flat, next)];
    let mut rest = rest.iter().rev();
    loop {
        if room < 0 {
            return false;
        }
        let (mode, d) = match stack.pop() {
            Some(x) => x,
            None => match rest.next() {
                Some(&(_, m, d)) => (m, d),
                None => return true,
            },
        };
        match d {
            Doc::Text(s) => room -= width(s),
            Doc::Concat(parts) => stack.extend(parts.iter().rev().map(|p| (mode, p))),
            Doc::Nest(x) | Doc::Group(x) => stack.push((mode, x)),
            Doc::Line | Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
                if matches!(d, Doc::Line) {
                    room -= 1;
                }
            }
            Doc::HardLine => return true,
            // A comment ends its line: nothing holding it prints flat.
            Doc::Trailing(_) => {
                if mode == Mode::Flat {
                    return false;
                }
            }
            Doc::IfBreak(s) => {
                if mode == Mode::Break {
                    room -= width(s);
                }
            }
        }
    }
}
