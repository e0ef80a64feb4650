//! `DirLoader` and `Engine::from_dir_partial` on a folder tree generated
//! from the input (see `policy_fuzz::tree`): symbolic links to `.`, `..`,
//! entries of the tree and a folder outside it, sockets and FIFOs named
//! like policies, large sparse files. Loading ends, indexes only files
//! inside the tree, and never hands out the document outside it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_fuzz::tree;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = tree::scratch() else { return };
    tree::build(&s, data);
    tree::check(&s);
});
