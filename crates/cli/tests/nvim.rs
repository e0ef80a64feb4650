//! A real editor against `policy lsp`: Neovim from the Debian packages, run
//! headless with `editors/nvim/e2e.lua` (Neovim 0.7 APIs). It opens a bundled
//! policy, misspells a name, waits for the diagnostic, hovers a rule and
//! shows the hover in a floating window; the transcript of what the editor
//! shows is snapshotted (and copied into docs/editors.md).
//!
//! Without `nvim` the test says so and passes, except under `CI=true`, where
//! `.ci/run` installs Neovim and a missing `nvim` is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[test]
fn neovim_shows_the_diagnostic_and_the_quoted_sentence() {
    if Command::new("nvim").arg("--version").output().is_err() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("nvim is not installed: .ci/run installs it (apt-get install neovim)");
        }
        eprintln!("skipped: nvim is not installed (apt-get install neovim)");
        return;
    }
    let root = workspace();
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("transcript.txt");
    let script = root.join("editors/nvim/e2e.lua");
    let mut cmd = Command::new("nvim");
    cmd.args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("POLICY_BIN", env!("CARGO_BIN_EXE_policy"))
        .env("POLICY_FILE", root.join("policies/jinhua/digital_engineer_2024.policy"))
        .env("POLICY_E2E_OUT", &out)
        .current_dir(&root);
    // Neovim's own state (logs, shada) goes to the temporary directory.
    for var in ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"] {
        cmd.env(var, home.path());
    }
    let output = cmd.output().unwrap();
    let transcript = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        output.status.success(),
        "nvim failed ({}):\n{transcript}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(transcript.contains("[C101] unknown name `insured_localy`"), "{transcript}");
    assert!(transcript.contains("> 且取得培训合格证书"), "{transcript}");
    insta::assert_snapshot!("nvim_transcript", transcript);
}
