//! A bad variable fails the cold start with one readable line naming it.

use std::process::Command;

#[test]
fn a_bad_variable_fails_the_start_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_fetch-videos"))
        .env_clear()
        .env("TABLE_NAME", "x")
        .env("YOUTUBE_API_KEYS", "AIzaSy-startup-test-key-0000000000000")
        .env("PAGE_TOKEN_SECRET", "startup-test-secret-0123456789")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Error: "))
        .unwrap_or_else(|| panic!("no error line in {stderr:?}"));
    assert!(line.starts_with("Error: TABLE_NAME: "), "{line}");
    assert!(!line.contains("ConfigError {"), "{line}");
    assert!(!stderr.contains("startup-test"), "a secret in {stderr:?}");
}
