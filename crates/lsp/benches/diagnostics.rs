//! Diagnostics latency: one edit to the largest bundled policy, then the
//! parse, check and conversion the server runs before publishing (what an
//! editor waits for after the debounce delay). Groups:
//!
//! - `diagnostics/largest_policy_edit`: insert a character in a label of the
//!   largest policy and analyse (alternating with its removal);
//! - `diagnostics/typo_edit`: a change that breaks a name (an error with a
//!   did-you-mean hint), then its repair;
//! - `diagnostics/edits_500`: 500 such edits in a row, each analysed.
//!
//! Memory over 500 edits is checked by `tests/memory.rs` (bytes retained).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use lsp_types::Url;
use policy_lsp::diagnostics::to_lsp;
use policy_lsp::workspace::Workspace;
use std::hint::black_box;
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

fn setup() -> (Workspace, Url, String) {
    let path = largest();
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = Url::from_file_path(&path).unwrap();
    let mut ws = Workspace::new(vec![path.parent().unwrap().parent().unwrap().to_path_buf()]);
    ws.open(uri.clone(), text.clone(), 1);
    (ws, uri, text)
}

fn edit(ws: &mut Workspace, uri: &Url, text: String) -> usize {
    let doc = ws.docs.get_mut(uri).unwrap();
    doc.text = text;
    doc.analysis = None;
    let a = ws.analyze(uri).unwrap();
    to_lsp(&a, uri).len()
}

fn bench(c: &mut Criterion) {
    let (mut ws, uri, text) = setup();
    let label = text.find(" \"").unwrap() + 2;
    let mut edited = text.clone();
    edited.insert(label, 'x');
    let mut g = c.benchmark_group("diagnostics");
    let mut flip = false;
    g.bench_function("largest_policy_edit", |b| {
        b.iter(|| {
            flip = !flip;
            black_box(edit(&mut ws, &uri, if flip { edited.clone() } else { text.clone() }))
        })
    });
    let name = text.find("\nlet ").unwrap() + 5;
    let mut typo = text.clone();
    typo.insert(name, 'q');
    let (mut ws2, uri2, _) = setup();
    let mut flip = false;
    g.bench_function("typo_edit", |b| {
        b.iter(|| {
            flip = !flip;
            black_box(edit(&mut ws2, &uri2, if flip { typo.clone() } else { text.clone() }))
        })
    });
    g.sample_size(10);
    g.bench_function("edits_500", |b| {
        b.iter(|| {
            for i in 0..500 {
                black_box(edit(&mut ws, &uri, if i % 2 == 0 { edited.clone() } else { text.clone() }));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
