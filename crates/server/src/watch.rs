//! `--watch`: looks at the policy directory every `watch_every` (file
//! names, sizes and modification times of `.policy` and `.txt` files) and
//! reloads when anything changed. Polling needs no platform API and no
//! dependency, and a reload costs milliseconds.

use crate::App;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Most directory entries one look visits.
const MAX_ENTRIES: usize = 100_000;

/// Starts the watcher on the runtime.
pub fn spawn(app: Arc<App>) {
    tokio::spawn(async move {
        let dir = app.config.policies.clone();
        let mut last = fingerprint_blocking(dir.clone()).await;
        let mut tick = tokio::time::interval(app.config.watch_every);
        loop {
            tick.tick().await;
            let now = fingerprint_blocking(dir.clone()).await;
            if now != last {
                last = now;
                let worker = app.clone();
                match tokio::task::spawn_blocking(move || worker.reload()).await {
                    Ok(r) if r.swapped => tracing::info!(changed = ?r.changed, "reloaded"),
                    Ok(r) => tracing::warn!(errors = r.errors.len(), "reload failed; the previous plans keep serving"),
                    Err(e) => tracing::error!("the reload stopped: {e}"),
                }
            }
        }
    });
}

async fn fingerprint_blocking(dir: PathBuf) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    tokio::task::spawn_blocking(move || fingerprint(&dir)).await.unwrap_or_default()
}

/// (path, size, modified) of every watched file, sorted.
pub fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return out;
            }
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "policy" || x == "txt") {
                out.push((path, meta.len(), meta.modified().ok()));
            }
        }
    }
    out.sort();
    out
}
