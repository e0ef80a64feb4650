//! Byte offsets (what the core's spans hold) to LSP positions (lines and
//! UTF-16 code units, what editors send) and back.

use lsp_types::{Position, Range};

/// Line starts of one text, for converting offsets both ways.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of byte offset `at` (clamped to the text, snapped back to a char boundary).
    pub fn position(&self, text: &str, at: usize) -> Position {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col: usize = text.get(start..at).map(|s| s.chars().map(char::len_utf16).sum()).unwrap_or(0);
        Position { line: u32::try_from(line).unwrap_or(u32::MAX), character: u32::try_from(col).unwrap_or(u32::MAX) }
    }

    /// The range of bytes `start..end`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range { start: self.position(text, start), end: self.position(text, end.max(start)) }
    }

    /// The byte offset of `pos` (clamped to its line and to the text).
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else { return text.len() };
        let end = self.starts.get(pos.line as usize + 1).map(|e| e - 1).unwrap_or(text.len());
        let line = text.get(start..end).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

/// Applies one content change (a range edit, or the whole text when `range` is absent).
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        None => *text = new_text.to_string(),
        Some(r) => {
            let idx = LineIndex::new(text);
            let start = idx.offset(text, r.start);
            let end = idx.offset(text, r.end).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

/// The identifier (letters, digits, `_`, and `.` joining segments) around byte `at`,
/// with its byte range.
pub fn word_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let at = at.min(text.len());
    let before = text.get(..at)?;
    let after = text.get(at..)?;
    let start = at - before.chars().rev().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>();
    let end = at + after.chars().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>();
    (end > start).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\n金华x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap_or(0);
        assert_eq!(idx.position(text, x), Position { line: 1, character: 2 });
        assert_eq!(idx.offset(text, Position { line: 1, character: 2 }), x);
        assert_eq!(idx.offset(text, Position { line: 9, character: 0 }), text.len());
    }

    #[test]
    fn range_edits_apply() {
        let mut t = String::from("let a = 1\nlet b = 2\n");
        apply_change(&mut t, Some(Range { start: Position { line: 1, character: 4 }, end: Position { line: 1, character: 5 } }), "cc");
        assert_eq!(t, "let a = 1\nlet cc = 2\n");
    }
}
