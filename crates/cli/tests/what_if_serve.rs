//! `policy what-if` and `policy serve` as processes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

const EXAMPLE: &str = "policies/datong/big_data_training_2022.example.json";

#[test]
fn what_if_lists_the_changes_and_the_facts_needed() {
    let out = assert_cmd::cargo::cargo_bin_cmd!("policy")
        .current_dir(workspace())
        .args(["what-if", "datong.big_data_training_2022", "--facts", EXAMPLE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("to qualify for onjob_training"), "{text}");
    assert!(text.contains("onjob_days: (not given) → 3"), "{text}");
    assert!(text.contains("⇒ 300.00 yuan"), "{text}");
    assert!(text.contains("facts still needed:"), "{text}");

    let out = assert_cmd::cargo::cargo_bin_cmd!("policy")
        .current_dir(workspace())
        .args(["what-if", "datong.big_data_training_2022", "--facts", "-", "--format", "json"])
        .write_stdin(r#"{"training_days": "many", "nope": 1}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("training_days") && err.contains("nope"), "every problem is listed: {err}");
}

/// `policy serve` on port 0 prints its address, answers, and exits 0 on SIGTERM.
#[cfg(unix)]
#[test]
fn serve_answers_and_stops_on_sigterm() {
    let bin = assert_cmd::cargo::cargo_bin!("policy");
    let mut child = std::process::Command::new(bin)
        .current_dir(workspace())
        .args(["serve", "--addr", "127.0.0.1:0", "--log", "off"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("no address in {line:?}"));
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
