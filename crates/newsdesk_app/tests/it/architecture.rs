//! Nothing but the application layer writes content: the store's write
//! functions are called from `newsdesk_app` and nowhere else in the
//! product (tests and benchmarks aside).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_the_application_layer_opens_write_transactions() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    for krate in std::fs::read_dir(root.join("crates"))?.flatten() {
        let name = krate.file_name().to_string_lossy().into_owned();
        // The store defines the writes; the application layer makes them.
        if name == "newsdesk_db" || name == "newsdesk_app" {
            continue;
        }
        rust_files(&krate.path().join("src"), &mut files);
    }
    assert!(files.len() > 20, "found the sources: {}", files.len());
    // The store's `begin()` takes no argument (the application layer's takes
    // an actor), so any formatting of a call to it contains `begin()`.
    let writes = [
        "begin()",
        "Tx::",
        "newsdesk_db::Tx",
        "insert_article(",
        "update_article(",
        "set_article_state(",
        "enqueue_job(",
        "record_event(",
        "insert_revision(",
    ];
    let mut offenders = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        for w in writes {
            if text.contains(w) {
                offenders.push(format!("{} calls `{w}`", f.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "writes outside the application layer:\n{}",
        offenders.join("\n")
    );
    Ok(())
}
