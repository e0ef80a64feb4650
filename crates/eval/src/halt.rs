//! [`Halt`]: a [`Stop`] as evaluation passes it around, boxed so that a
//! `Result<Value, Halt>` is no bigger than a value plus a tag, and with its
//! box recycled so that stopping allocates nothing once warm.
//!
//! Missing facts are the common stop (every condition that reads a fact not
//! given), and a decision may stop dozens of times. A dropped `Halt` puts its
//! box, and the capacity of its list of missing names, in a small
//! per-thread pool; [`Halt::new`] and [`Halt::missing`] take from it first.
//! A list of names whose box becomes another kind of stop is kept in a
//! second pool, so a box going from one kind to the other and back does
//! not allocate its list again.
//! An error's text is written into a parked `String` too ([`Halt::error`],
//! [`Halt::error_fmt`]), and the text of a dropped error stop is parked
//! again; a decision's errors, which take that text, are handed back with
//! [`park_text`] when the decision is reused. So an error that is the rare
//! path of one decision allocates nothing once warm either.
//! Readers of a stop look at it through `Deref` (names are copied out as
//! `Arc<str>`, which counts a reference and allocates nothing) rather than
//! moving it out of its box. Safe code only: the pool is a `thread_local`
//! `RefCell`.

use policy_core::checked::Citation;
use std::cell::RefCell;
use std::sync::Arc;

/// Why an expression produced no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Facts (or externals) that are needed and absent.
    Missing(Vec<Arc<str>>),
    /// A table lookup found no row.
    NoRow {
        /// The failure's id (`no_row:<table>`), shared with the plan.
        id: Arc<str>,
        /// Table name, shared with the plan.
        table: Arc<str>,
        /// The keys looked up, shown.
        keys: Arc<str>,
        /// The table's citation.
        citation: Option<Citation>,
    },
    /// Tiers without `else` matched nothing.
    NoTier {
        /// The subject's value, shown.
        subject: Arc<str>,
    },
    /// An evaluation error (overflow, division by zero, no parameter value…).
    Error(String),
}

/// Most boxes a thread keeps for reuse (more are freed).
const POOL: usize = 64;

thread_local! {
    // The boxes themselves are what is kept: a `Halt` is a box.
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<Stop>>> = const { RefCell::new(Vec::new()) };
    // Lists of missing names whose box went to another kind of stop.
    static SPARE_NAMES: RefCell<Vec<Vec<Arc<str>>>> = const { RefCell::new(Vec::new()) };
    // The text of errors no longer needed.
    static SPARE_TEXT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    // Text shared recently (`shared_text`): a buffer to write it in, the
    // last `SHARED` texts, and where the next one goes.
    static SHARED_TEXT: RefCell<(String, Vec<Arc<str>>, usize)> = const { RefCell::new((String::new(), Vec::new(), 0)) };
}

/// How many recent texts [`shared_text`] keeps per thread.
const SHARED: usize = 32;

/// The text `write` writes, as an `Arc<str>`: the very `Arc` a recent call
/// (one of the last [`SHARED`] on this thread) returned for the same text,
/// or a new one. For text that shows an applicant's values (a table's keys
/// with no row, the label of its failure): an applicant like a recent one
/// costs a comparison, not an allocation, and the memory kept is bounded.
pub(crate) fn shared_text(write: impl FnOnce(&mut String)) -> Arc<str> {
    let mut write = Some(write);
    let found = SHARED_TEXT
        .try_with(|cell| {
            let mut kept = cell.try_borrow_mut().ok()?;
            let (buf, recent, next) = &mut *kept;
            buf.clear();
            (write.take()?)(buf);
            if let Some(a) = recent.iter().find(|a| ***a == **buf) {
                return Some(a.clone());
            }
            let a: Arc<str> = Arc::from(buf.as_str());
            if recent.len() < SHARED {
                recent.push(a.clone());
            } else if let Some(old) = recent.get_mut(*next) {
                *old = a.clone();
            }
            *next = (*next + 1) % SHARED;
            Some(a)
        })
        .ok()
        .flatten();
    match (found, write) {
        (Some(a), _) => a,
        // The thread is ending, or a write called back in: no sharing.
        (None, Some(write)) => {
            let mut out = String::new();
            write(&mut out);
            Arc::from(out)
        }
        (None, None) => Arc::from(""),
    }
}

/// [`shared_text`] of `args`.
pub(crate) fn shared_fmt(args: std::fmt::Arguments<'_>) -> Arc<str> {
    use std::fmt::Write;
    shared_text(|out| {
        let _ = out.write_fmt(args);
    })
}

/// Keeps the capacity of a list of names (a missing-fact stop's, an
/// outcome's `depends_on`) for a later one.
pub(crate) fn park(mut names: Vec<Arc<str>>) {
    if names.capacity() == 0 {
        return;
    }
    names.clear();
    let _ = SPARE_NAMES.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.len() < POOL {
                s.push(names);
            }
        }
    });
}

/// A list for names: a parked one when there is one.
pub(crate) fn names_list() -> Vec<Arc<str>> {
    SPARE_NAMES.try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop())).ok().flatten().unwrap_or_default()
}

/// Keeps the capacity of an error's text for a later one.
pub(crate) fn park_text(mut text: String) {
    if text.capacity() == 0 {
        return;
    }
    text.clear();
    let _ = SPARE_TEXT.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.len() < POOL {
                s.push(text);
            }
        }
    });
}

/// Parks the text of every error in `errors`, leaving it empty.
pub(crate) fn park_texts(errors: &mut Vec<String>) {
    for e in errors.drain(..) {
        park_text(e);
    }
}

/// An empty `String`: a parked one when there is one.
pub(crate) fn text() -> String {
    SPARE_TEXT.try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop())).ok().flatten().unwrap_or_default()
}

/// `args` written into a parked `String`.
pub(crate) fn text_fmt(args: std::fmt::Arguments<'_>) -> String {
    use std::fmt::Write;
    let mut out = text();
    let _ = out.write_fmt(args);
    out
}

/// A boxed [`Stop`] whose box is reused (see the module's documentation).
#[derive(Debug)]
pub(crate) struct Halt(Option<Box<Stop>>);

/// What a `Halt` reads as without its box (never observed: only `drop`
/// takes the box).
static TAKEN: Stop = Stop::Error(String::new());

fn spare() -> Option<Box<Stop>> {
    SPARE.try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop())).ok().flatten()
}

impl Halt {
    /// `stop`, in a reused box when one is spare.
    pub(crate) fn new(stop: Stop) -> Halt {
        match spare() {
            Some(mut b) => {
                if let Stop::Missing(names) = std::mem::replace(&mut *b, stop) {
                    park(names);
                }
                Halt(Some(b))
            }
            None => Halt(Some(Box::new(stop))),
        }
    }

    /// An evaluation error whose text is `message` (a parked `String`).
    pub(crate) fn error(message: &str) -> Halt {
        let mut t = text();
        t.push_str(message);
        Halt::new(Stop::Error(t))
    }

    /// An evaluation error whose text `args` writes (into a parked `String`).
    pub(crate) fn error_fmt(args: std::fmt::Arguments<'_>) -> Halt {
        Halt::new(Stop::Error(text_fmt(args)))
    }

    /// A missing fact: a reused box and list when one is spare.
    pub(crate) fn missing(name: Arc<str>) -> Halt {
        match spare() {
            Some(mut b) => {
                match b.as_mut() {
                    Stop::Missing(names) => {
                        names.clear();
                        names.push(name);
                    }
                    other => {
                        let mut names = names_list();
                        names.push(name);
                        *other = Stop::Missing(names);
                    }
                }
                Halt(Some(b))
            }
            None => {
                let mut names = names_list();
                names.push(name);
                Halt(Some(Box::new(Stop::Missing(names))))
            }
        }
    }
}

impl std::ops::Deref for Halt {
    type Target = Stop;
    fn deref(&self) -> &Stop {
        self.0.as_deref().unwrap_or(&TAKEN)
    }
}

impl std::ops::DerefMut for Halt {
    fn deref_mut(&mut self) -> &mut Stop {
        self.0.get_or_insert_with(|| Box::new(Stop::Error(String::new())))
    }
}

impl Clone for Halt {
    fn clone(&self) -> Halt {
        match spare() {
            Some(mut b) => {
                match (b.as_mut(), &**self) {
                    (Stop::Missing(to), Stop::Missing(from)) => to.clone_from(from),
                    (to, from) => {
                        let copy = match from {
                            // The text into a parked `String`.
                            Stop::Error(e) => {
                                let mut t = text();
                                t.push_str(e);
                                Stop::Error(t)
                            }
                            other => other.clone(),
                        };
                        if let Stop::Missing(names) = std::mem::replace(to, copy) {
                            park(names);
                        }
                    }
                }
                Halt(Some(b))
            }
            None => Halt(Some(Box::new(Stop::clone(self)))),
        }
    }
}

impl PartialEq for Halt {
    fn eq(&self, other: &Halt) -> bool {
        **self == **other
    }
}

impl Drop for Halt {
    fn drop(&mut self) {
        let Some(mut b) = self.0.take() else { return };
        match b.as_mut() {
            Stop::Missing(names) => names.clear(),
            other => {
                if let Stop::Error(t) = std::mem::replace(other, Stop::Missing(names_list())) {
                    park_text(t);
                }
            }
        }
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                if s.len() < POOL {
                    s.push(b);
                }
            }
        });
    }
}

impl Stop {
    /// One-line description.
    pub fn describe(&self) -> String {
        match self {
            Stop::Missing(names) => format!("missing {}", names.join(", ")),
            Stop::NoRow { table, keys, .. } => format!("no row in `{table}` for ({keys})"),
            Stop::NoTier { subject, .. } => format!("no tier matched {subject}"),
            Stop::Error(e) => e.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_text_is_the_text_written_and_shares_recent_text() {
        let a = shared_fmt(format_args!("no row in `t` for ({})", 7));
        let b = shared_text(|out| out.push_str("no row in `t` for (7)"));
        assert_eq!(&*a, "no row in `t` for (7)");
        assert!(Arc::ptr_eq(&a, &b), "the same recent text is the same Arc");
        // More distinct texts than are kept: each is still its own text,
        // and the first is no longer shared but equal.
        let many: Vec<Arc<str>> = (0..3 * SHARED).map(|i| shared_fmt(format_args!("key {i}"))).collect();
        for (i, t) in many.iter().enumerate() {
            assert_eq!(&**t, format!("key {i}"));
        }
        let again = shared_fmt(format_args!("no row in `t` for ({})", 7));
        assert_eq!(again, a);
        assert_eq!(&*shared_text(|_| {}), "");
    }

    #[test]
    fn reused_text_starts_empty() {
        // A long error, dropped (its text parked), then a short one.
        drop(Halt::error("a long message that leaves a long buffer behind it"));
        let h = Halt::error_fmt(format_args!("short {}", 1));
        assert_eq!(*h, Stop::Error("short 1".into()));
        let copy = h.clone();
        assert_eq!(*copy, Stop::Error("short 1".into()));
        drop(h);
        let mut errors = vec![text_fmt(format_args!("x{}", 2)), String::from("y")];
        park_texts(&mut errors);
        assert!(errors.is_empty());
        assert_eq!(text(), "");
        assert_eq!(text_fmt(format_args!("{}-{}", "a", 3)), "a-3");
    }

    #[test]
    fn parked_name_lists_come_back_empty() {
        park(vec![Arc::from("x"), Arc::from("y")]);
        let l = names_list();
        assert!(l.is_empty());
        let m = Halt::missing(Arc::from("z"));
        assert_eq!(*m, Stop::Missing(vec![Arc::from("z")]));
    }
}
