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
}

/// Keeps the capacity of a list of missing names for a later stop.
fn park(mut names: Vec<Arc<str>>) {
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

/// A list for missing names: a parked one when there is one.
fn names_list() -> Vec<Arc<str>> {
    SPARE_NAMES.try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop())).ok().flatten().unwrap_or_default()
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
                        if let Stop::Missing(names) = std::mem::replace(to, from.clone()) {
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
            other => *other = Stop::Missing(names_list()),
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
