//! 500 edits to the largest bundled policy, each analysed as the server
//! does before publishing diagnostics, retain no memory: what one analysis
//! holds replaces the previous one. Counted by the `allocation-counter`
//! crate (per thread), not timed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use lsp_types::Url;
use policy_lsp::diagnostics::to_lsp;
use policy_lsp::workspace::Workspace;
use std::path::{Path, PathBuf};

fn largest() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies").canonicalize().unwrap();
    let mut all: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    all.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    all.pop().unwrap()
}

#[test]
fn five_hundred_edits_retain_nothing() {
    let path = largest();
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = Url::from_file_path(&path).unwrap();
    let mut ws = Workspace::new(vec![path.parent().unwrap().parent().unwrap().to_path_buf()]);
    ws.open(uri.clone(), text.clone(), 1);
    let at = text.find(" \"").unwrap() + 2;
    let run = |ws: &mut Workspace, n: usize| {
        for i in 0..n {
            let doc = ws.docs.get_mut(&uri).unwrap();
            // Alternate: insert a character in a label, remove it again.
            if i % 2 == 0 {
                doc.text.insert(at, 'x');
            } else {
                doc.text.remove(at);
            }
            doc.analysis = None;
            let a = ws.analyze(&uri).unwrap();
            assert!(to_lsp(&a, &uri).is_empty(), "edit {i} broke the policy");
        }
    };
    run(&mut ws, 10); // warm-up: caches of imports and the first analysis
    let few = allocation_counter::measure(|| run(&mut ws, 20));
    let many = allocation_counter::measure(|| run(&mut ws, 500));
    assert!(many.bytes_total > 10 * few.bytes_total, "the edits were analysed");
    assert!(
        many.bytes_current <= few.bytes_current.max(0) + 4096,
        "500 edits retained {} bytes, 20 retained {}",
        many.bytes_current,
        few.bytes_current
    );
    assert!(many.bytes_current < 64 * 1024, "500 edits retained {} bytes", many.bytes_current);
}
