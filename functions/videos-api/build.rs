//! Links the function as a position-dependent executable. A PIE copy of this binary carries
//! ~56,000 relative relocations (vtables and static tables of the AWS SDK, axum, serde) that
//! the loader applies on every cold start, dirtying ~1.4 MB of pages before `main`; fixed at
//! link time they cost nothing and take ~1.3 MB out of the file. What is given up is ASLR for
//! the executable's own image (shared libraries, heap and stacks are still randomised); build
//! with `TUBEFEED_PIE=1` to keep it (docs/figures.md has the cold start both ways).
fn main() {
    // Linux only (Lambda, and local Linux builds): other platforms' linkers want PIE.
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && std::env::var_os("TUBEFEED_PIE").is_none() {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-env-changed=TUBEFEED_PIE");
}
