//! Records the compiler's version for the run manifest, and the git commit
//! the binary was built from for `runner --version`.
//!
//! The commit is read only where the crate sits in a git checkout with git
//! installed; a build from a crates.io package (no `.git`) or without git
//! says nothing more than the version, never "unknown".
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RUNNER_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");

    let package = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let long = match commit() {
        Some(commit) => format!("{package} (commit {commit})"),
        None => package,
    };
    println!("cargo:rustc-env=RUNNER_LONG_VERSION={long}");
}

/// `abc1234`, or `abc1234, modified` when tracked files differ from it;
/// `None` outside a git checkout or without git.
fn commit() -> Option<String> {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    // A crates.io package holds no .git; a parent's repository is not ours.
    if !dir.join(".git").exists() {
        return None;
    }
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let hash = git(&["rev-parse", "--short", "HEAD"]).filter(|h| !h.is_empty())?;
    // Run again when HEAD moves (a commit, a checkout), when the index
    // changes (a staged edit) and when the sources do (an unstaged edit).
    // In a worktree HEAD and index live in the worktree's git folder, the
    // branches in the common one.
    let mut watched: Vec<PathBuf> = ["src", "Cargo.toml", "Cargo.lock", "templates", "assets"]
        .iter()
        .map(|p| dir.join(p))
        .collect();
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = Path::new(&git_dir);
        watched.push(git_dir.join("HEAD"));
        watched.push(git_dir.join("index"));
        if let Some(common) = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
            let common = Path::new(&common);
            watched.push(common.join("packed-refs"));
            if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
                watched.push(common.join(branch));
            }
        }
    }
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let modified = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| !status.is_empty());
    Some(match modified {
        true => format!("{hash}, modified"),
        false => hash,
    })
}
