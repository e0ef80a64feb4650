//! The policy folder is a sandbox: [`DirLoader`] on generated folder trees
//! (symbolic links, loops, FIFOs, directories and large files where a
//! policy or a source document is expected), and the checker refusing
//! `source "…"` paths outside the policy's folder.
//!
//! FIFOs are made with `mkfifo`; where it is missing the FIFO cases say so
//! and are skipped (under `CI=true` that is a failure).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_core::check::{check_id, check_source};
use policy_core::loader::{read_limited, read_source, DirLoader, LoadError, Loader, MAX_DOCUMENT_BYTES, MAX_SCAN_FILES};
use std::fs;
use std::path::Path;

const POLICY: &str = "policy sandbox.a \"甲\"\n  source \"a.source.txt\"\nclause \"一\" \"条款\" quote \"补贴八百元\"\nbenefit subsidy \"补贴\" {\n  payee person\n  amount 800 yuan cite \"一\"\n}\n";

fn policy_with_source(id: &str, source: &str) -> String {
    format!("policy sandbox.{id} \"甲\"\n  source \"{source}\"\nbenefit subsidy \"补贴\" {{\n  payee person\n  amount 800 yuan\n}}\n")
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Makes a FIFO at `path`; false (after saying why) when `mkfifo` is missing.
fn mkfifo(path: &Path) -> bool {
    match std::process::Command::new("mkfifo").arg(path).status() {
        Ok(s) if s.success() => true,
        other => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "mkfifo is needed under CI: {other:?}");
            eprintln!("skipping the FIFO case: mkfifo failed or is missing ({other:?})");
            false
        }
    }
}

fn codes(checked: &policy_core::check::Checked) -> Vec<&'static str> {
    checked.diagnostics.iter().map(|d| d.code.id).collect()
}

#[test]
fn a_document_beside_the_policy_is_read() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.policy"), POLICY).unwrap();
    fs::write(dir.path().join("a.source.txt"), "第一条 补贴八百元。").unwrap();
    let loader = DirLoader::new(&[dir.path()]);
    assert!(loader.problems.is_empty(), "{:?}", loader.problems);
    let checked = check_id("sandbox.a", &loader);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
}

#[test]
fn absolute_and_climbing_source_paths_are_refused_without_reading() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("region");
    fs::create_dir(&sub).unwrap();
    // A file that exists one level up: `..` would reach it.
    fs::write(dir.path().join("secret.txt"), "补贴八百元").unwrap();
    for (i, path) in ["/etc/passwd", "../secret.txt", "x/../../secret.txt", "./../secret.txt"].iter().enumerate() {
        let file = sub.join(format!("p{i}.policy"));
        fs::write(&file, policy_with_source(&format!("p{i}"), path)).unwrap();
        let loader = DirLoader::new(&[dir.path()]);
        let source = read_source(&file).unwrap();
        let checked = check_source(&source, &loader);
        assert_eq!(codes(&checked), ["C113"], "{path}: {:#?}", checked.diagnostics);
        assert!(checked.policy.is_none(), "{path}: a refused source is an error");
        // The loader refuses it too, when asked directly.
        let direct = loader.load_document(&file.display().to_string(), path);
        assert!(matches!(direct, Err(LoadError::Refused { .. })), "{path}: {direct:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_policy_folder_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "补贴八百元").unwrap();
    let dir = tempfile::tempdir().unwrap();
    symlink(outside.path().join("secret.txt"), dir.path().join("a.source.txt"));
    symlink(outside.path(), dir.path().join("linked"));
    fs::write(dir.path().join("a.policy"), POLICY).unwrap();
    fs::write(dir.path().join("b.policy"), policy_with_source("b", "linked/secret.txt")).unwrap();
    let loader = DirLoader::new(&[dir.path()]);
    for id in ["sandbox.a", "sandbox.b"] {
        let checked = check_id(id, &loader);
        assert_eq!(codes(&checked), ["C113"], "{id}: {:#?}", checked.diagnostics);
        assert!(checked.diagnostics[0].message.contains("leads out of the policy's folder"), "{}", checked.diagnostics[0].message);
    }
    // A link that stays inside the folder is fine.
    let inside = tempfile::tempdir().unwrap();
    fs::create_dir(inside.path().join("docs")).unwrap();
    fs::write(inside.path().join("docs/real.txt"), "第一条 补贴八百元。").unwrap();
    symlink("docs/real.txt", inside.path().join("a.source.txt"));
    fs::write(inside.path().join("a.policy"), POLICY).unwrap();
    let checked = check_id("sandbox.a", &DirLoader::new(&[inside.path()]));
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
}

#[test]
fn directories_fifos_and_large_documents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("a.policy");
    fs::write(&policy, POLICY).unwrap();
    let name = policy.display().to_string();
    // A directory.
    fs::create_dir(dir.path().join("a.source.txt")).unwrap();
    let loader = DirLoader::new(&[dir.path()]);
    let got = loader.load_document(&name, "a.source.txt");
    assert!(matches!(&got, Err(LoadError::Refused { reason, .. }) if reason.contains("directory")), "{got:?}");
    let checked = check_id("sandbox.a", &loader);
    assert_eq!(codes(&checked), ["C113"], "{:#?}", checked.diagnostics);
    // A file larger than the limit (sparse: its metadata says so, nothing is read).
    let big = dir.path().join("big.txt");
    fs::File::create(&big).unwrap().set_len(MAX_DOCUMENT_BYTES + 1).unwrap();
    let got = loader.load_document(&name, "big.txt");
    assert!(matches!(got, Err(LoadError::TooLarge { size, limit, .. }) if size == MAX_DOCUMENT_BYTES + 1 && limit == MAX_DOCUMENT_BYTES));
    // A FIFO: refused from its metadata, never opened (opening would block).
    if mkfifo(&dir.path().join("pipe.txt")) {
        let got = loader.load_document(&name, "pipe.txt");
        assert!(matches!(&got, Err(LoadError::Refused { reason, .. }) if reason.contains("not a regular file")), "{got:?}");
    }
    // Devices too.
    let got = loader.load_document("/dev/x.policy", "urandom");
    assert!(matches!(&got, Err(LoadError::Refused { .. })), "{got:?}");
    assert!(matches!(read_source(Path::new("/dev/urandom")), Err(LoadError::Refused { .. })));
    assert!(matches!(read_source(Path::new("/dev/zero")), Err(LoadError::Refused { .. })));
}

#[test]
fn reading_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.txt");
    fs::write(&f, "0123456789").unwrap();
    assert_eq!(read_limited(&f, 10).unwrap(), b"0123456789");
    assert!(matches!(read_limited(&f, 9), Err(LoadError::TooLarge { size: 10, limit: 9, .. })));
    // A policy file past the source limit is refused from its metadata.
    let big = dir.path().join("big.policy");
    fs::File::create(&big).unwrap().set_len(1 << 30).unwrap();
    assert!(matches!(read_source(&big), Err(LoadError::TooLarge { size, .. }) if size == 1 << 30));
    let loader = DirLoader::new(&[dir.path()]);
    assert!(loader.problems.iter().any(|p| matches!(p, LoadError::TooLarge { .. })), "{:?}", loader.problems);
}

#[cfg(unix)]
#[test]
fn symbolic_link_loops_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("region")).unwrap();
    fs::write(dir.path().join("region/a.policy"), POLICY).unwrap();
    fs::write(dir.path().join("region/a.source.txt"), "第一条 补贴八百元。").unwrap();
    // Two links to `.` and one back to the root: before, each level
    // multiplied the paths (33,319 copies of a small tree).
    symlink(".", dir.path().join("region/self1"));
    symlink(".", dir.path().join("region/self2"));
    symlink("..", dir.path().join("region/up"));
    // A link to the policy file itself.
    symlink("a.policy", dir.path().join("region/alias.policy"));
    let loader = DirLoader::new(&[dir.path()]);
    assert!(loader.problems.is_empty(), "{:?}", loader.problems);
    assert_eq!(loader.policies().count(), 1);
}

#[cfg(unix)]
#[test]
fn the_walk_refuses_fifos_directories_and_links_out_named_policy() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("x.policy"), policy_with_source("x", "x.txt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.policy"), POLICY).unwrap();
    fs::create_dir(dir.path().join("folder.policy")).unwrap();
    symlink(outside.path().join("x.policy"), dir.path().join("x.policy"));
    let fifo = mkfifo(&dir.path().join("pipe.policy"));
    let loader = DirLoader::new(&[dir.path()]);
    let ids: Vec<&str> = loader.policies().map(|(id, _)| id).collect();
    assert_eq!(ids, ["sandbox.a"]);
    let refused: Vec<String> = loader
        .problems
        .iter()
        .map(|p| match p {
            LoadError::Refused { path, .. } => Path::new(path).file_name().unwrap().to_string_lossy().into_owned(),
            other => panic!("unexpected problem {other:?}"),
        })
        .collect();
    let mut want = vec!["x.policy"];
    if fifo {
        want.insert(0, "pipe.policy");
    }
    assert_eq!(refused, want, "{:?}", loader.problems);
}

#[test]
fn a_walk_cut_at_its_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.policy"), POLICY).unwrap();
    for i in 0..MAX_SCAN_FILES {
        fs::write(dir.path().join(format!("n{i:05}.txt")), "").unwrap();
    }
    let loader = DirLoader::new(&[dir.path()]);
    assert!(
        loader.problems.iter().any(|p| matches!(p, LoadError::TooManyEntries { limit, .. } if *limit == MAX_SCAN_FILES)),
        "{:?}",
        loader.problems
    );
    // Just under the limit: no problem.
    fs::remove_file(dir.path().join("n00000.txt")).unwrap();
    fs::remove_file(dir.path().join("n00001.txt")).unwrap();
    let loader = DirLoader::new(&[dir.path()]);
    assert!(loader.problems.is_empty(), "{:?}", loader.problems);
}
