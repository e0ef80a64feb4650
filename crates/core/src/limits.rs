//! Explicit limits on what a policy file may contain. Exceeding one is a
//! diagnostic, never a crash. `docs/language.md` lists them.

/// Largest source file accepted, in bytes (1 MiB).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Deepest bracket nesting (`(`, `[`, `{`) accepted. pest spends about 30 KiB
/// of stack per level in debug builds (5 KiB in release): 24 levels parse on a
/// 1 MiB thread in debug and on 256 KiB in release.
pub const MAX_NESTING: usize = 24;
/// Deepest expression tree accepted: brackets, prefix operators, nested forms
/// and operator chains all count (`a + b + c` is 2 deep).
pub const MAX_EXPR_DEPTH: usize = 64;
/// Most top-level declarations in one file.
pub const MAX_ITEMS: usize = 10_000;
/// Most policies in one import chain.
pub const MAX_IMPORT_DEPTH: usize = 16;
/// Tiers beyond this many are not analysed for overlaps, gaps and
/// unreachable tiers (the analysis is cubic; real schedules have a handful).
pub const MAX_ANALYSED_TIERS: usize = 64;
