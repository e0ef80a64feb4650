//! `Engine::from_dir_partial`: the good policies are served, the broken
//! ones (and the files the loader refused) are reported, in a generated
//! folder that `Engine::from_dir` refuses as a whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use policy_eval::{Engine, EvalError};
use std::fs;
use std::path::Path;

fn policy(id: &str, body: &str) -> String {
    format!("policy partial.{id} \"策略\"\n{body}benefit b \"补贴\" {{\n  payee person\n  amount 800 yuan\n}}\n")
}

#[test]
fn good_policies_are_served_and_broken_ones_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("good")).unwrap();
    fs::create_dir(root.join("bad")).unwrap();
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/datong");
    for f in ["big_data_training_2022.policy", "big_data_training_2022.source.txt"] {
        fs::copy(bundled.join(f), root.join("good").join(f)).unwrap();
    }
    fs::write(root.join("good/plain.policy"), policy("plain", "")).unwrap();
    // A type error; a policy importing one that is not there; a host file as source; two files with one id.
    fs::write(root.join("bad/typo.policy"), policy("typo", "input n: int \"数\"\nlet x = n + true\n")).unwrap();
    fs::write(root.join("bad/importer.policy"), policy("importer", "use partial.missing as m\n")).unwrap();
    fs::write(root.join("bad/host.policy"), policy("host", "  source \"/etc/passwd\"\n")).unwrap();
    fs::write(root.join("bad/twin1.policy"), policy("twin", "")).unwrap();
    fs::write(root.join("bad/twin2.policy"), policy("twin", "")).unwrap();
    fs::File::create(root.join("bad/huge.policy")).unwrap().set_len(1 << 30).unwrap();

    assert!(Engine::from_dir(root).is_err(), "all or nothing");
    let loaded = Engine::from_dir_partial(root);
    let ids: Vec<&str> = loaded.engine.ids().collect();
    assert_eq!(ids, ["datong.big_data_training_2022", "partial.plain"]);
    let mut failed: Vec<String> = loaded
        .failures
        .iter()
        .map(|f| Path::new(&f.name).file_name().map_or(f.name.clone(), |n| n.to_string_lossy().into_owned()))
        .collect();
    failed.sort();
    assert_eq!(failed, ["huge.policy", "partial.host", "partial.importer", "partial.typo", "twin2.policy"], "{:#?}", loaded.failures);
    let codes = |name: &str| -> Vec<&str> {
        let f = loaded.failures.iter().find(|f| f.name.ends_with(name)).unwrap();
        let EvalError::Policy { diagnostics, .. } = &f.error else { panic!("{:?}", f.error) };
        diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code.id).collect()
    };
    assert_eq!(codes("partial.host"), ["C113"]);
    assert_eq!(codes("partial.typo"), ["T201"]);
    assert_eq!(codes("partial.importer"), ["C105"]);
    // The served policy decides.
    let plan = loaded.engine.plan("partial.plain").unwrap();
    let opts = policy_eval::DecideOptions { reference_date: "2024-06-01".parse().ok(), ..Default::default() };
    let d = plan.decide(&policy_eval::Facts::empty(plan), &opts).unwrap();
    assert_eq!(d.benefits[0].amount.map(|a| a.to_string()).as_deref(), Some("800"), "{:#?}", d.benefits[0]);
}
