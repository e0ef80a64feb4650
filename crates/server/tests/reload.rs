//! Hot reload: under load no request fails and every decision's audit
//! envelope is one whole plan (its version matches its content hash); a
//! policy that fails to check keeps the old plan serving and shows its
//! diagnostics; `--watch` picks a change up by itself.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::{copy_policies, Server};
use policy_server::Config;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DATONG: &str = "datong.big_data_training_2022";
const FILE: &str = "datong/big_data_training_2022.policy";

/// Writes the policy with another version string (atomically: write, rename).
fn write_version(dir: &Path, original: &str, version: &str) {
    let text = original.replacen("version \"1\"", &format!("version \"{version}\""), 1);
    assert_ne!(text, original);
    write(dir, &text);
}

fn write(dir: &Path, text: &str) {
    let tmp = dir.join("datong/.next");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(FILE)).unwrap();
}

/// The content hash of the policy as the directory holds it now.
fn hash_now(dir: &Path) -> String {
    let engine = policy_eval::Engine::from_dir(dir).unwrap();
    engine.plan(DATONG).unwrap().policy().meta.content_hash.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_never_fails_nor_mixes_plans() {
    let dir = copy_policies();
    let original = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    let s = Server::start(Config::new(dir.path())).await;
    let body = std::fs::read(dir.path().join("datong/big_data_training_2022.example.json")).unwrap();
    // content hash → the version string it must come with.
    let known: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(HashMap::new()));
    known.lock().unwrap().insert(hash_now(dir.path()), "1".into());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (addr, body, known, stop, done) = (s.addr, body.clone(), known.clone(), stop.clone(), done.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            // Bounded: at most 5,000 requests per client, and the loop below stops them sooner.
            for _ in 0..5_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let r = common::request(
                    addr,
                    "POST",
                    &format!("/v1/policies/{DATONG}/decide?trace=off"),
                    &[("content-type", "application/json")],
                    &body,
                )
                .await;
                assert_eq!(r.status, 200, "{}", r.text());
                let d = r.json();
                let hash = d["policy"]["content_hash"].as_str().unwrap().to_string();
                let version = d["policy"]["version"].as_str().unwrap().to_string();
                let want = known.lock().unwrap().get(&hash).cloned();
                assert_eq!(want.as_deref(), Some(version.as_str()), "hash {hash} came with version {version}");
                seen.insert(version);
                done.fetch_add(1, Ordering::Relaxed);
            }
            seen
        }));
    }
    for v in 2..=6 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        write_version(dir.path(), &original, &v.to_string());
        known.lock().unwrap().insert(hash_now(dir.path()), v.to_string());
        let app = s.app.clone();
        let report = tokio::task::spawn_blocking(move || app.reload()).await.unwrap();
        assert!(report.swapped, "{:?}", report.errors);
        assert_eq!(report.changed, vec![DATONG.to_string()]);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let mut versions = std::collections::BTreeSet::new();
    for c in clients {
        versions.extend(c.await.unwrap());
    }
    assert!(done.load(Ordering::Relaxed) > 20, "the load ran");
    assert!(versions.contains("6"), "the last plan served: {versions:?}");
}

#[tokio::test]
async fn a_policy_that_fails_to_check_keeps_the_old_plan() {
    let dir = copy_policies();
    let original = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    let s = Server::start(Config::new(dir.path())).await;
    let before = hash_now(dir.path());
    write(dir.path(), &format!("{original}\nbenefit broken \"坏\" {{ require no_such_fact \"x\" }}\n"));
    let report = s.app.reload();
    assert!(!report.swapped);
    assert!(!report.errors.is_empty());
    let detail = s.get(&format!("/v1/policies/{DATONG}")).await.json();
    assert_eq!(detail["policy"]["content_hash"], before.as_str(), "the old plan keeps serving");
    let errors = detail["reload_errors"].as_array().unwrap();
    assert!(!errors.is_empty(), "{detail}");
    assert!(errors.iter().any(|e| e["code"].as_str().unwrap().starts_with('C')), "{errors:?}");
    assert_eq!(errors[0]["file"], "big_data_training_2022.policy", "file names only, no server paths");
    let body = std::fs::read(dir.path().join("datong/big_data_training_2022.example.json")).unwrap();
    let r = s.post(&format!("/v1/policies/{DATONG}/decide"), &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["policy"]["content_hash"], before.as_str());
    // Fixed: the next reload swaps and the diagnostics are gone.
    write_version(dir.path(), &original, "7");
    let report = s.app.reload();
    assert!(report.swapped);
    let detail = s.get(&format!("/v1/policies/{DATONG}")).await.json();
    assert_eq!(detail["policy"]["version"], "7");
    assert_eq!(detail["reload_errors"], serde_json::json!([]));
}

#[tokio::test]
async fn watch_picks_up_a_change() {
    let dir = copy_policies();
    let original = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    let config = Config { watch: true, watch_every: Duration::from_millis(50), ..Config::new(dir.path()) };
    let s = Server::start(config).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    write_version(dir.path(), &original, "9");
    // Bounded wait: 200 looks, 50 ms apart.
    for _ in 0..200 {
        let d = s.get(&format!("/v1/policies/{DATONG}")).await.json();
        if d["policy"]["version"] == "9" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the change was not picked up within 10 s");
}
